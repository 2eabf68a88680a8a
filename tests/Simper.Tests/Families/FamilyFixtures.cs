namespace Simper.Tests.Families;

/// <summary>The parity fixtures of the model families (shared/fixtures/parity-KIND), one theory row each.</summary>
public static class FamilyFixtures
{
    public static TheoryData<string> Kinds => new() { "mistral-swa", "qwen3", "phi3", "gemma2", "gemma3" };
}
