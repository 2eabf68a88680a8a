using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Simper.Tests.Export;

/// <summary>
/// llama.cpp through LLamaSharp, the export's real consumer: loads a GGUF file (optionally with a LoRA adapter GGUF),
/// greedy-decodes, tokenizes and scores text as llama.cpp itself does.
/// </summary>
public sealed class LlamaCpp : IDisposable
{
    private static readonly object NativeSetup = new();
    private static bool _configured;

    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly LoraAdapter? _adapter;

    public LlamaCpp(string ggufPath, string? loraPath = null, uint contextSize = 512)
    {
        lock (NativeSetup)
        {
            // llama.cpp's load log would fill the test output; errors still surface as exceptions.
            // SIMPER_LLAMA_LOG=1 shows it when a load fails.
            var show = Environment.GetEnvironmentVariable("SIMPER_LLAMA_LOG") == "1";
            if (!_configured) NativeLibraryConfig.All.WithLogCallback((_, message) => { if (show) Console.Error.Write(message); });
            _configured = true;
        }
        var parameters = new ModelParams(ggufPath) { ContextSize = contextSize, GpuLayerCount = 0, Threads = 1, BatchSize = contextSize };
        _weights = LLamaWeights.LoadFromFile(parameters);
        _context = _weights.CreateContext(parameters);
        if (loraPath != null)
        {
            _adapter = _weights.NativeHandle.LoadLoraFromFile(loraPath);
            _context.NativeHandle.SetLoraAdapters(new[] { (_adapter, 1f) });
        }
    }

    /// <summary>Token ids of <paramref name="text"/> without BOS, special tokens not parsed, as the reference .out files are.</summary>
    public int[] Tokenize(string text) =>
        _weights.NativeHandle.Tokenize(text, false, false, Encoding.UTF8).Select(t => (int)t).ToArray();

    /// <summary><paramref name="steps"/> greedy tokens after <paramref name="prompt"/>, from a fresh KV cache.</summary>
    public List<int> Greedy(IReadOnlyList<int> prompt, int steps)
    {
        var generated = new List<int>();
        var logits = Decode(prompt, 0);
        for (int step = 0; step < steps; step++)
        {
            var next = ArgMax(logits);
            generated.Add(next);
            if (step + 1 < steps) logits = Decode([next], prompt.Count + step);
        }
        return generated;
    }

    /// <summary>Total negative log-likelihood (nats) of the tokens of <paramref name="ids"/> after the first, which is context only.</summary>
    public double Nll(IReadOnlyList<int> ids)
    {
        double nll = 0;
        var positions = ids.Count - 1;
        var batch = new LLamaBatch();
        for (int i = 0; i < ids.Count; i++) batch.Add((LLamaToken)ids[i], i, LLamaSeqId.Zero, i < positions);
        ClearCache();
        Check(_context.Decode(batch));
        for (int i = 0; i < positions; i++)
        {
            var logits = _context.NativeHandle.GetLogitsIth(i);
            double max = double.NegativeInfinity;
            foreach (var l in logits) max = Math.Max(max, l);
            double sum = 0;
            foreach (var l in logits) sum += Math.Exp(l - max);
            nll += max + Math.Log(sum) - logits[ids[i + 1]];
        }
        return nll;
    }

    private float[] Decode(IReadOnlyList<int> tokens, int start)
    {
        if (start == 0) ClearCache();
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Count; i++) batch.Add((LLamaToken)tokens[i], start + i, LLamaSeqId.Zero, i == tokens.Count - 1);
        Check(_context.Decode(batch));
        return _context.NativeHandle.GetLogitsIth(batch.TokenCount - 1).ToArray();
    }

    private void ClearCache() => _context.NativeHandle.MemoryClear(true);

    private static void Check(DecodeResult result)
    {
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode returned {result}");
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}
