using System.Text;
using Simper.Data;

namespace Simper.Tests.Data;

/// <summary>The real published datasets in shared/data/preference and the parity fixture's pre-tokenized pairs.</summary>
public class SharedDatasetTests
{
    private static readonly DataOptions Defaults = new();

    [SkippableFact]
    public void HhRlhfSplitsTheImplicitPromptAtTheLastAssistantTurn()
    {
        var result = DatasetLoader.LoadPreferences(SharedData.Path("data", "preference", "hh-rlhf-harmless-base-test.jsonl.gz"), Defaults);

        Assert.Equal(2312, result.Examples.Count);
        Assert.Equal(0, result.SkippedRows);
        Assert.StartsWith("TRL implicit-prompt preference", result.Format);
        var first = result.Examples[0];
        var expectedPrompt = string.Concat(
            "\n\nHuman: what are some pranks with a pen i can do?",
            "\n\nAssistant: Are you looking for practical joke ideas?",
            "\n\nHuman: yep",
            "\n\nAssistant: Ok, I’ll give you a couple examples, and then you can choose if you like any of them. You can’t actually do all of these, they’re mostly for fun.",
            "\n\n1. Draw a penis on a friend’s arm, the idea is that you can draw a really huge penis.",
            "\n\n2. Make a list of jokes on someone, and then you can make someone else read it to the person in front of the person, you’ll probably have to hide the list of jokes.",
            "\n\n3. Tell someone you’ll watch them masturbate but hide your eyes, and then while they are masturbating you will find a new place to watch.",
            "\n\nHuman: okay some of these do not have anything to do with pens",
            "\n\nAssistant:");
        Assert.Equal(SegmentKind.Text, first.Prompt.Kind);
        Assert.Equal(expectedPrompt, first.Prompt.Text);
        Assert.Equal(" No, sorry!  All of these involve a pen, the point is that you can get funny results by doing pranks with pens.", first.Chosen.Text);
        Assert.Equal(" There are lots of funny things you can do with pens, here’s one example: use the pen as a zipper.  It’s where you write your finger in ink, and then you stick it on someone’s hand and unzip their zipper. It’s really funny.", first.Rejected.Text);
        Assert.EndsWith("hh-rlhf-harmless-base-test.jsonl.gz:1", first.Source.ToString());

        // Reference numbers from TRL's extract_prompt run over the same file: the prompts of 1,867 rows end with
        // "\n\nAssistant:" (the others share the responses' first words too), 1,996 have both responses starting with
        // a space, and the prompts total 1,124,781 code points.
        Assert.Equal(1867, result.Examples.Count(e => e.Prompt.Text!.EndsWith("\n\nAssistant:", StringComparison.Ordinal)));
        Assert.Equal(1996, result.Examples.Count(e => e.Chosen.Text![0] == ' ' && e.Rejected.Text![0] == ' '));
        Assert.Equal(1124781, result.Examples.Sum(e => e.Prompt.Text!.EnumerateRunes().Count()));
        // The last row's responses share the word "I", which TRL keeps in the prompt.
        Assert.EndsWith("\n\nAssistant: I", result.Examples[^1].Prompt.Text);
        Assert.Equal(" don’t know where the human trade message board is.", result.Examples[^1].Chosen.Text);
    }

    [SkippableFact]
    public void HhRlhfUnpairsIntoDesirableAndUndesirableHalves()
    {
        var result = DatasetLoader.LoadUnpaired(SharedData.Path("data", "preference", "hh-rlhf-harmless-base-test.jsonl.gz"), Defaults);
        Assert.Equal(4624, result.Examples.Count);
        Assert.Equal(2312, result.Examples.Count(e => e.Desirable));
        Assert.True(result.Examples[0].Desirable);
        Assert.False(result.Examples[1].Desirable);
        Assert.Same(result.Examples[0].Prompt, result.Examples[1].Prompt);
        Assert.StartsWith(" No, sorry!", result.Examples[0].Completion.Text);
    }

    [SkippableFact]
    public void DpoEnDemoReadsShareGptPairs()
    {
        var result = DatasetLoader.LoadPreferences(SharedData.Path("data", "preference", "dpo_en_demo.json"), Defaults);

        Assert.Equal(300, result.Examples.Count);
        Assert.StartsWith("ShareGPT preference", result.Format);
        var first = result.Examples[0];
        var prompt = Assert.Single(first.Prompt.Messages!);
        Assert.Equal(new Message("user",
            "Hi! I'd like to create a new language game simulating the first person perspective of a character named Angela."), prompt);
        Assert.Equal("assistant", Assert.Single(first.Chosen.Messages!).Role);
        Assert.StartsWith("That sounds like a fun and engaging idea", first.Chosen.Messages![0].Content);
        Assert.StartsWith("Hello! I'd be happy to help you create a language game simul", first.Rejected.Messages![0].Content);
        // Counted with Python over the file: 906 conversation messages, 80 of them from "system".
        Assert.Equal(906, result.Examples.Sum(e => e.Prompt.Messages!.Count));
        Assert.Equal(80, result.Examples.Sum(e => e.Prompt.Messages!.Count(m => m.Role == "system")));
        Assert.All(result.Examples, e => Assert.Null(e.RefChosenLogps));
        Assert.EndsWith("dpo_en_demo.json[0]", first.Source.ToString());
    }

    [SkippableFact]
    public void KtoEnDemoReadsMessagesWithLabels()
    {
        var result = DatasetLoader.LoadUnpaired(SharedData.Path("data", "preference", "kto_en_demo.json"), Defaults);

        Assert.Equal(300, result.Examples.Count);
        Assert.StartsWith("KTO messages", result.Format);
        Assert.Equal(150, result.Examples.Count(e => e.Desirable));
        Assert.Equal(150, result.Examples.Count(e => !e.Desirable));
        var first = result.Examples[0];
        Assert.True(first.Desirable);
        Assert.Equal("user", Assert.Single(first.Prompt.Messages!).Role);
        Assert.StartsWith("The Federal Trade Commission is going after spyware", first.Prompt.Messages![0].Content);
        Assert.StartsWith("Ooh ooh ah ah! *giggle* Let me think...", Assert.Single(first.Completion.Messages!).Content);
        Assert.Equal(674, result.Examples.Sum(e => e.Prompt.Messages!.Count));
    }

    [SkippableFact]
    public void StackExchangeReadsThroughAFieldMapping()
    {
        var options = new DataOptions { FieldMap = "prompt=question,chosen=response_j,rejected=response_k" };
        var result = DatasetLoader.LoadPreferences(SharedData.Path("data", "preference", "stack_exchange_paired_tiny.json"), options);

        Assert.Equal(25, result.Examples.Count);
        Assert.StartsWith("TRL preference (prompt, chosen, rejected)", result.Format);
        var first = result.Examples[0];
        Assert.StartsWith("I'm writing a code using Java Swing to press the right button when I type a number key.", first.Prompt.Text);
        Assert.StartsWith("The code you are showing does exactly one thing: a", first.Chosen.Text);
        Assert.StartsWith("When you do this:\n\n```\nbutton1.addActionListener(n", first.Rejected.Text);
        Assert.StartsWith("I am using video.js (<http://www.videojs.com/>) to", result.Examples[^1].Prompt.Text);
    }

    [SkippableFact]
    public void StackExchangeWithoutMappingNamesItsFields()
    {
        var path = SharedData.Path("data", "preference", "stack_exchange_paired_tiny.json");
        var error = Assert.Throws<SimperException>(() => DatasetLoader.LoadPreferences(path, Defaults));
        Assert.StartsWith($"{path}[0]: no preference format matches the fields question, response_j, response_k; accepted: ", error.Message);
    }

    [SkippableFact]
    public void ParityPairsArePreTokenizedWithReferenceLogps()
    {
        var result = DatasetLoader.LoadPreferences(SharedData.Path("fixtures", "parity-llama", "pairs.jsonl"), Defaults);

        Assert.Equal(6, result.Examples.Count);
        Assert.StartsWith("pre-tokenized preference", result.Format);
        var first = result.Examples[0];
        Assert.Equal([99, 21, 34, 66, 80, 66, 88, 8, 41], first.Prompt.TokenIds!);
        Assert.Equal([59, 46, 41], first.Chosen.TokenIds!);
        Assert.Equal([40, 7], first.Rejected.TokenIds!);
        Assert.Equal(-14.661796575370808, first.RefChosenLogps);
        Assert.Equal(-8.952585997494856, first.RefRejectedLogps);
        Assert.Equal([30, 33, 47, 76, 53, 63, 58, 49], result.Examples[5].Rejected.TokenIds!);
        Assert.Equal(-40.893741008908364, result.Examples[5].RefRejectedLogps);
        Assert.EndsWith("pairs.jsonl:6", result.Examples[5].Source.ToString());
    }
}
