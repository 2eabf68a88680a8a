using Simper.Demo.Report;

namespace Simper.Tests.Demo;

public class ReportTableTests
{
    [Fact]
    public void TiedValuesShareTheMeanOfTheirRanks()
    {
        Assert.Equal([1.5, 1.5, 3], FractionalRanking.RankDescending([0.5, 0.5, 0.2]));
        // Three-way tie over positions 2..4 -> (2 + 3 + 4) / 3 = 3.
        Assert.Equal([5, 3, 3, 3, 1], FractionalRanking.RankDescending([0.1, 0.3, 0.3, 0.3, 0.9]));
        Assert.Equal([2, 1, 3], FractionalRanking.RankDescending([0.4, 0.7, 0.1]));
    }

    [Fact]
    public void BestLearningRateHasTheHighestMeanAccuracyAndTheSmallerLearningRateOnTies()
    {
        // dpo: mean 0.4 at 1e-5 vs 0.3667 at 3e-5; simper: 0.4333 vs 0.5333; kto has only 1e-5.
        Assert.Equal(new Dictionary<string, double> { ["dpo"] = 1e-5, ["simper"] = 3e-5, ["kto"] = 1e-5 },
            AccuracyTable.BestLearningRates(ReportSample.Results()));

        var tied = ReportSample.Results() with
        {
            Scores = [ReportSample.Score("sft", null, 0.5, 0.5, 0.5), ReportSample.Score("ipo", 3e-5, 0.9, 0.1, 0.5),
                ReportSample.Score("ipo", 1e-6, 0.5, 0.5, 0.5)],
        };
        Assert.Equal(1e-6, AccuracyTable.BestLearningRates(tied)["ipo"]);
    }

    [Fact]
    public void SummaryShowsEveryModelAtItsBestAndAtEachSharedLearningRate()
    {
        // Best view ranks as below (sft 11/3, dpo 9/3, simper 4/3, kto 6/3). At 1e-5:
        // add .50 .60 .60 .55 -> 4, 1.5, 1.5, 3; sort .20 .20 .30 .35 -> 3.5, 3.5, 2, 1; count .40 .40 .40 .45 -> 3, 3, 3, 1.
        // At 3e-5, without kto: add .50 .70 .80 -> 3, 2, 1; sort .20 .10 .30 -> 2, 3, 1; count .40 .30 .50 -> 2, 3, 1.
        Assert.Equal(
            """
            | Model | Best lr | Mean at best | Avg. rank at best | Mean at 1e-5 | Avg. rank | Mean at 3e-5 | Avg. rank |
            |---|---:|---:|---:|---:|---:|---:|---:|
            | sft | – | 36.7 | 3.67 | 36.7 | 3.50 | 36.7 | 2.33 |
            | dpo | 1e-5 | 40.0 | 3.00 | 40.0 | 2.67 | 36.7 | 2.67 |
            | simper | 3e-5 | 53.3 | 1.33 | 43.3 | 2.17 | 53.3 | 1.00 |
            | kto | 1e-5 | 45.0 | 2.00 | 45.0 | 1.67 | – | – |

            """.ReplaceLineEndings("\n"),
            DemoReport.Summary(ReportSample.Results()));
    }

    [Fact]
    public void BestLearningRateTableRanksEachFamilyColumn()
    {
        // add:   sft .50 dpo .60 simper .80 kto .55 -> 4, 2, 1, 3
        // sort:  sft .20 dpo .20 simper .30 kto .35 -> 3.5, 3.5, 2, 1
        // count: sft .40 dpo .40 simper .50 kto .45 -> 3.5, 3.5, 1, 2
        // average ranks: sft 11/3, dpo 9/3, simper 4/3, kto 6/3
        Assert.Equal(
            """
            | Model | add | sort | count | Mean | Avg. rank |
            |---|---:|---:|---:|---:|---:|
            | sft | 50.0 | 20.0 | 40.0 | 36.7 | 3.67 |
            | dpo (lr 1e-5) | 60.0 | 20.0 | 40.0 | 40.0 | 3.00 |
            | simper (lr 3e-5) | 80.0 | 30.0 | 50.0 | 53.3 | 1.33 |
            | kto (lr 1e-5) | 55.0 | 35.0 | 45.0 | 45.0 | 2.00 |

            """.ReplaceLineEndings("\n"),
            DemoReport.Table(ReportSample.Results(), TableView.BestLearningRate));

        var table = AccuracyTable.Build(ReportSample.Results(), TableView.BestLearningRate);
        Assert.Equal([11 / 3.0, 3.0, 4 / 3.0, 2.0], table.Rows.Select(r => r.AverageRank));
        Assert.Equal(new Dictionary<string, double> { ["add"] = 4, ["sort"] = 3.5, ["count"] = 3.5 }, table.Rows[0].Ranks);
        Assert.Equal(
            "With each method at its best learning rate, simper (lr 3e-5) has the best average rank (1.33), so SimPER is ahead of every other row.",
            ReportText.Finding(table));
    }

    [Fact]
    public void SharedLearningRateTableHoldsTheMethodsTrainedAtThatRate()
    {
        // kto has no 3e-5 run. add: .5 .7 .8 -> 3 2 1; sort: .2 .1 .3 -> 2 3 1; count: .4 .3 .5 -> 2 3 1.
        Assert.Equal(
            """
            | Model | add | sort | count | Mean | Avg. rank |
            |---|---:|---:|---:|---:|---:|
            | sft | 50.0 | 20.0 | 40.0 | 36.7 | 2.33 |
            | dpo | 70.0 | 10.0 | 30.0 | 36.7 | 2.67 |
            | simper | 80.0 | 30.0 | 50.0 | 53.3 | 1.00 |

            """.ReplaceLineEndings("\n"),
            DemoReport.Table(ReportSample.Results(), TableView.AtLearningRate(3e-5)));

        // add: .5 .6 .6 .55 -> 4 1.5 1.5 3; sort: .2 .2 .3 .35 -> 3.5 3.5 2 1; count: .4 .4 .4 .45 -> 3 3 3 1.
        var table = AccuracyTable.Build(ReportSample.Results(), TableView.AtLearningRate(1e-5));
        Assert.Equal([10.5 / 3, 8 / 3.0, 6.5 / 3, 5 / 3.0], table.Rows.Select(r => r.AverageRank));
        Assert.Equal(
            "At learning rate 1e-5, kto has the best average rank (1.67); SimPER is not ahead: its average rank is 2.17, position 2 of 4.",
            ReportText.Finding(table));
    }

    [Fact]
    public void FindingSaysWhenSimperTiesOrIsMissing()
    {
        static TableRow Row(string method, double averageRank) =>
            new(method, method, 1e-5, new Dictionary<string, double>(), 0, new Dictionary<string, double>(), averageRank);

        Assert.Equal("At learning rate 1e-5, simper and ipo share the best average rank (1.50), so SimPER is level with the best, not ahead.",
            ReportText.Finding(new AccuracyTable(1e-5, [Row("sft", 3), Row("simper", 1.5), Row("ipo", 1.5)])));
        Assert.Equal("At learning rate 1e-6, dpo has the best average rank (1.00); SimPER has no row in this table.",
            ReportText.Finding(new AccuracyTable(1e-6, [Row("sft", 2), Row("dpo", 1)])));
    }

    [Fact]
    public void MissingFamilyAccuracyIsAOneLineError()
    {
        var results = ReportSample.Results() with
        {
            Scores = [ReportSample.Score("sft", null, 0.5, 0.5, 0.5), ReportSample.Score("dpo", 1e-5, 0.5, 0.5)],
        };
        var error = Assert.Throws<SimperException>(() => DemoReport.Table(results, TableView.BestLearningRate));
        Assert.Equal("demo results: score of dpo at lr 1e-5 has no accuracy for family 'count'", error.Message);
    }
}
