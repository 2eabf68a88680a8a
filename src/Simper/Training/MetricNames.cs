namespace Simper.Training;

/// <summary>
/// Metric names as TRL logs them, so that metrics.jsonl reads like a TRL run's log history. Evaluation metrics carry
/// the <see cref="EvalPrefix"/> (e.g. <c>eval_rewards/margins</c>).
/// </summary>
public static class MetricNames
{
    public const string Step = "step";
    public const string Epoch = "epoch";
    public const string Loss = "loss";
    public const string GradNorm = "grad_norm";
    public const string LearningRate = "learning_rate";
    public const string RewardsChosen = "rewards/chosen";
    public const string RewardsRejected = "rewards/rejected";
    public const string RewardsMargins = "rewards/margins";
    public const string RewardsAccuracies = "rewards/accuracies";
    public const string LogpsChosen = "logps/chosen";
    public const string LogpsRejected = "logps/rejected";
    public const string LogitsChosen = "logits/chosen";
    public const string LogitsRejected = "logits/rejected";
    public const string EvalPrefix = "eval_";

    public static string Eval(string name) => EvalPrefix + name;
}
