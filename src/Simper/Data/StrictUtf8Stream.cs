using System.Buffers;
using System.Text.Unicode;

namespace Simper.Data;

/// <summary>
/// Passes a stream through while checking that it is valid UTF-8, failing with the line of the first bad byte.
/// System.Text.Json replaces invalid bytes inside strings with U+FFFD without a word, so whole-JSON files are read
/// through this. A multi-byte character split across reads is carried over to the next read.
/// </summary>
internal sealed class StrictUtf8Stream(Stream inner, string file) : Stream
{
    private readonly byte[] _carry = new byte[4];
    private int _carryCount;
    private long _lines = 1;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Check(buffer[..read], endOfStream: read == 0);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Check(buffer.Span[..read], endOfStream: read == 0);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Check(ReadOnlySpan<byte> fresh, bool endOfStream)
    {
        var pending = ArrayPool<byte>.Shared.Rent(_carryCount + fresh.Length);
        var chars = ArrayPool<char>.Shared.Rent(_carryCount + fresh.Length);
        try
        {
            _carry.AsSpan(0, _carryCount).CopyTo(pending);
            fresh.CopyTo(pending.AsSpan(_carryCount));
            var bytes = pending.AsSpan(0, _carryCount + fresh.Length);
            var status = Utf8.ToUtf16(bytes, chars, out var valid, out _, replaceInvalidSequences: false, isFinalBlock: endOfStream);
            var lineOfInvalid = _lines + bytes[..valid].Count((byte)'\n');
            if (status == System.Buffers.OperationStatus.InvalidData)
                throw new SimperException($"{file}:{lineOfInvalid}: invalid UTF-8 bytes (the file must be UTF-8)");
            _lines = lineOfInvalid;
            _carryCount = bytes.Length - valid;
            bytes[valid..].CopyTo(_carry);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(pending);
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
