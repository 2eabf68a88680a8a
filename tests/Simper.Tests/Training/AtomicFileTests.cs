using Simper.Training;

namespace Simper.Tests.Training;

public class AtomicFileTests
{
    [Fact]
    public void WritesContentAndLeavesNoTemporaryFile()
    {
        using var dir = new TempFolder();
        var path = dir.File("state.json");
        AtomicFile.WriteAllText(path, "first");
        AtomicFile.WriteAllText(path, "second");
        Assert.Equal("second", File.ReadAllText(path));
        Assert.Equal(["state.json"], Directory.GetFiles(dir.Path).Select(p => Path.GetFileName(p)).ToArray());
    }

    [Fact]
    public void FailedWriteLeavesThePreviousContent()
    {
        using var dir = new TempFolder();
        var path = dir.File("state.json");
        AtomicFile.WriteAllText(path, "good");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.WriteByte((byte)'x');
            throw new IOException("disk full");
        }));
        Assert.Equal("good", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void FolderAppearsCompleteAndReplacesAnOlderOne()
    {
        using var dir = new TempFolder();
        var target = Path.Combine(dir.Path, "checkpoint-10");
        AtomicFolder.Create(target, temp =>
        {
            Assert.False(Directory.Exists(target)); // not visible under its name while being filled
            File.WriteAllText(Path.Combine(temp, "a.txt"), "old");
        });
        AtomicFolder.Create(target, temp => File.WriteAllText(Path.Combine(temp, "b.txt"), "new"));
        Assert.Equal(["b.txt"], Directory.GetFiles(target).Select(p => Path.GetFileName(p)).ToArray());
        Assert.Equal(["checkpoint-10"], Directory.GetDirectories(dir.Path).Select(p => Path.GetFileName(p)).ToArray());
    }

    [Fact]
    public void FailedFillKeepsTheExistingFolder()
    {
        using var dir = new TempFolder();
        var target = Path.Combine(dir.Path, "checkpoint-10");
        AtomicFolder.Create(target, temp => File.WriteAllText(Path.Combine(temp, "a.txt"), "old"));
        Assert.Throws<InvalidOperationException>(() => AtomicFolder.Create(target, temp =>
        {
            File.WriteAllText(Path.Combine(temp, "half.txt"), "x");
            throw new InvalidOperationException("model failed to serialize");
        }));
        Assert.Equal("old", File.ReadAllText(Path.Combine(target, "a.txt")));
        Assert.Equal(["checkpoint-10"], Directory.GetDirectories(dir.Path).Select(p => Path.GetFileName(p)).ToArray());
    }
}
