namespace Simper.Demo.Report;

/// <summary>The exact-verifier accuracy of one model on each task family.</summary>
/// <param name="Method">The preference method, or <see cref="DemoResults.SftMethod"/> for the fine-tuned base.</param>
/// <param name="LearningRate">The alignment learning rate; null for the base.</param>
/// <param name="AccuracyByFamily">Task family to the fraction (0..1) of its held-out prompts answered right.</param>
/// <param name="Prompts">How many held-out prompts the model was scored on.</param>
public sealed record ModelScore(
    string Method, double? LearningRate, IReadOnlyDictionary<string, double> AccuracyByFamily, int Prompts);

/// <summary>TRL's logps/chosen and logps/rejected (mean summed log-probability of a batch) at one step.</summary>
public sealed record TrainingCurvePoint(int Step, double ChosenLogps, double RejectedLogps, double? Loss);

/// <summary>The log-probabilities of one alignment run over its training steps.</summary>
public sealed record TrainingCurve(string Method, double LearningRate, IReadOnlyList<TrainingCurvePoint> Points);

/// <summary>Everything the demo measured, plus the settings and commands that reproduce it.</summary>
public sealed record DemoResults(
    IReadOnlyList<string> Families,
    IReadOnlyList<ModelScore> Scores,
    IReadOnlyList<TrainingCurve> Curves,
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyList<string> Commands)
{
    /// <summary>The method name of the supervised fine-tuned base model every method starts from.</summary>
    public const string SftMethod = "sft";

    /// <summary>The method the demo is about; the report says whether it comes out ahead.</summary>
    public const string SimperMethod = "simper";
}

/// <summary>
/// Which rows an accuracy table compares: every method at its own best learning rate
/// (<see cref="SharedLearningRate"/> null), or every method at one learning rate they all used.
/// </summary>
public sealed record TableView(double? SharedLearningRate)
{
    public static TableView BestLearningRate { get; } = new((double?)null);

    public static TableView AtLearningRate(double learningRate) => new(learningRate);
}
