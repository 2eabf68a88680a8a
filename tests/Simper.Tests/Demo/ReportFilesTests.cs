using System.Buffers.Binary;
using Simper.Demo.Report;

namespace Simper.Tests.Demo;

public class ReportFilesTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void WritesMarkdownJsonAndFigures()
    {
        using var dir = new TempFolder();
        var results = ReportSample.Results();
        var written = DemoReport.Write(results, dir.Path);

        Assert.Equal(["report.md", "report.json", "accuracy-vs-lr.png", "logps-dpo.png", "logps-simper.png"],
            written.Select(p => Path.GetFileName(p)).ToArray());
        foreach (var png in written.Where(p => p.EndsWith(".png", StringComparison.Ordinal)))
        {
            var bytes = File.ReadAllBytes(png);
            Assert.Equal(PngSignature, bytes[..8]);
            Assert.Equal(ReportPlots.Width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4)));
            Assert.Equal(ReportPlots.Height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4)));
            Assert.True(bytes.Length > 15_000, $"{png} is only {bytes.Length} bytes");
        }

        var markdown = File.ReadAllText(dir.File("report.md"));
        var sections = new[]
        {
            "(200 per model)",
            "## Accuracy at each method's best learning rate\n\nWith each method at its best learning rate, simper (lr 3e-5) has the best average rank (1.33)",
            DemoReport.Table(results, TableView.BestLearningRate),
            "## Accuracy at learning rate 1e-5\n\nAt learning rate 1e-5, kto has the best average rank (1.67); SimPER is not ahead",
            DemoReport.Table(results, TableView.AtLearningRate(1e-5)),
            "## Accuracy at learning rate 3e-5\n\n",
            DemoReport.Table(results, TableView.AtLearningRate(3e-5)) + "\nNot trained at this learning rate: kto.\n",
            "![accuracy-vs-lr](accuracy-vs-lr.png)",
            "| seed | 42 |\n| learning rates | 1e-5, 3e-5 |\n",
            "```sh\nsimper demo sft --seed 42\nsimper demo align --method simper --lr 3e-5\n```\n",
        };
        var at = 0;
        foreach (var section in sections)
        {
            var found = markdown.IndexOf(section, at, StringComparison.Ordinal);
            Assert.True(found >= 0, $"report.md lacks, after position {at}:\n{section}");
            at = found + section.Length;
        }
    }

    [Fact]
    public void JsonRoundTripsResultsAndComputedTables()
    {
        using var dir = new TempFolder();
        DemoReport.Write(ReportSample.Results(), dir.Path);
        var document = ReportDocument.Read(dir.File("report.json"));

        Assert.Equal(ReportSample.Families, document.Results.Families);
        Assert.Equal(6, document.Results.Scores.Count);
        var kto = document.Results.Scores[5];
        Assert.Equal(("kto", 1e-5, 0.35, 200), (kto.Method, kto.LearningRate, kto.AccuracyByFamily["sort"], kto.Prompts));
        Assert.Null(document.Results.Scores[0].LearningRate);
        var point = document.Results.Curves[3].Points[0];
        Assert.Equal((1, -59.0, -66.0, (double?)null), (point.Step, point.ChosenLogps, point.RejectedLogps, point.Loss));
        Assert.Equal(0.7 - 0.01 * 2, document.Results.Curves[3].Points[1].Loss);
        Assert.Equal("42", document.Results.Settings["seed"]);
        Assert.Equal(ReportSample.Results().Commands, document.Results.Commands);

        Assert.Equal(new Dictionary<string, double> { ["dpo"] = 1e-5, ["simper"] = 3e-5, ["kto"] = 1e-5 }, document.BestLearningRates);
        Assert.Equal([null, 1e-5, 3e-5], document.Tables.Select(t => t.SharedLearningRate));
        var simper = document.Tables[0].Rows[2];
        Assert.Equal(("simper (lr 3e-5)", "simper", 3e-5), (simper.Label, simper.Method, simper.LearningRate));
        Assert.Equal(new Dictionary<string, double> { ["add"] = 1, ["sort"] = 2, ["count"] = 1 }, simper.Ranks);
        Assert.Equal(4 / 3.0, simper.AverageRank);
        Assert.Equal((0.8 + 0.3 + 0.5) / 3, simper.Mean, 12);
        Assert.Equal(0.8, simper.Accuracy["add"]);
        Assert.Equal(3, document.Findings.Count);
        Assert.StartsWith("At learning rate 3e-5, simper has the best average rank (1.00), so SimPER is ahead", document.Findings[2]);
    }

    [Fact]
    public void BaseModelAloneStillReports()
    {
        using var dir = new TempFolder();
        var results = ReportSample.Results() with { Scores = [ReportSample.Score("sft", null, 0.5, 0.2, 0.4)], Curves = [] };
        var written = DemoReport.Write(results, dir.Path);
        Assert.Equal(["report.md", "report.json", "accuracy-vs-lr.png"], written.Select(p => Path.GetFileName(p)).ToArray());
        Assert.Equal(["With each method at its best learning rate, sft has the best average rank (1.00); SimPER has no row in this table."],
            ReportDocument.Read(dir.File("report.json")).Findings);
    }

    [Fact]
    public void UnreadableJsonIsAOneLineError()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("report.json"), "{\"results\": 5}");
        var error = Assert.Throws<SimperException>(() => ReportDocument.Read(dir.File("report.json")));
        Assert.StartsWith($"{dir.File("report.json")}: invalid report JSON at $.results", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
