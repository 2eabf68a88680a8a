using Simper.Models;
using Simper.Tests.CliCommands;

namespace Simper.Tests.Families;

public class InitFamilyCommandTests
{
    [Fact]
    public void InitFamilyWritesThatFamilysConfigAndAnUnknownOneIsNamed()
    {
        using var folder = new TempFolder();
        var dir = folder.File("gemma");
        var result = Support.Cli.Run("init", "--output", dir, "--family", "gemma3_text", "--layers", "2", "--seed", "7");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Gemma3ForCausalLM", result.Stderr);
        var config = ModelConfig.Load(Path.Combine(dir, "config.json"));
        Assert.Equal(("gemma3_text", "Gemma3ForCausalLM"), (config.ModelType, config.Architecture));
        Assert.Equal(256, config.Window); // the tiny preset's 512 positions, halved
        Assert.Equal(10000.0, config.RopeLocalBaseFreq);

        CliAssert.UserError(Support.Cli.Run("init", "--output", folder.File("other"), "--family", "gpt2"),
            "--family gpt2: unknown family; expected one of llama, mistral, qwen2, qwen3, phi3, gemma2, gemma3_text", alone: true);
    }
}
