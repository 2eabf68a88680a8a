using Simper.Demo.Tasks;
using Simper.Generation;
using Simper.Models;
using Simper.Text;
using TorchSharp;

namespace Simper.Demo;

/// <summary>Greedy-decodes prompts and scores the answers with each family's exact verifier.</summary>
public static class AccuracyEvaluator
{
    public sealed record Result(IReadOnlyDictionary<string, double> AccuracyByFamily, int Prompts, IReadOnlyList<string> Answers);

    public static Result Score(LlamaForCausalLM model, PromptResponseEncoder text, IReadOnlyList<string> prompts,
        int maxNewTokens = 16, int batchSize = 500)
    {
        var eos = text.Tokenizer.EosTokenId is int id ? new[] { id } : null;
        var options = new GenerationOptions { MaxNewTokens = maxNewTokens, EosTokenIds = eos, PadTokenId = model.Config.PaddingId };
        var generator = new TextGenerator(model, text);
        List<string> answers;
        using (torch.no_grad())
            answers = generator.Generate(prompts.Select(generator.EncodeText).ToList(), samples: 1, options, batchSize)
                .Select(g => g.Text).ToList();
        var byFamily = prompts.Select((p, i) => (Task: TaskCatalog.ForPrompt(p), Prompt: p, Answer: answers[i]))
            .GroupBy(x => x.Task.Name)
            .ToDictionary(g => g.Key, g => g.Average(x => x.Task.Verify(x.Prompt, x.Answer) ? 1.0 : 0.0));
        return new Result(byFamily, prompts.Count, answers);
    }
}
