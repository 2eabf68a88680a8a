using Simper.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Export;

/// <summary>Simper's own greedy continuation, with the gap between the two largest logits at each step.</summary>
public static class SimperGreedy
{
    /// <summary>
    /// <paramref name="steps"/> greedy tokens after <paramref name="prompt"/> by a full forward pass per step, and the
    /// smallest top-two logit gap met: where it is tiny, float rounding may pick either token, so a comparison with
    /// another runtime there proves nothing.
    /// </summary>
    public static (List<int> Ids, double MinGap) Run(string modelDir, IReadOnlyList<int> prompt, int steps)
    {
        var (model, _) = PretrainedModel.Load(modelDir, ScalarType.Float32, CPU);
        using var _ = model;
        using var noGrad = torch.no_grad();
        var ids = prompt.ToList();
        var generated = new List<int>();
        double minGap = double.PositiveInfinity;
        for (int step = 0; step < steps; step++)
        {
            using var scope = torch.NewDisposeScope();
            var input = torch.tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0);
            var last = model.forward(input)[0, -1];
            var (values, indices) = torch.topk(last, 2);
            minGap = Math.Min(minGap, values[0].item<float>() - values[1].item<float>());
            var next = (int)indices[0].item<long>();
            generated.Add(next);
            ids.Add(next);
        }
        return (generated, minGap);
    }
}
