using Simper.Demo.Tasks;

namespace Simper.Tests.Demo;

public class TaskTests
{
    [Theory]
    [InlineData("add 47+85=", "231")]      // 47 + 85 = 132, least-significant digit first
    [InlineData("add 99+01=", "001")]      // 100
    [InlineData("sort 5 2 8 1=", "1 2 5 8")]
    [InlineData("reverse abcde=", "edcba")]
    [InlineData("count a in abacad=", "3")]
    [InlineData("count d in abcabc=", "0")]
    [InlineData("format hi yo=", "[HI][YO]")]
    public void SolvesPromptsExactly(string prompt, string answer)
    {
        var task = TaskCatalog.ForPrompt(prompt);
        Assert.Equal(answer, task.Solve(prompt));
        Assert.True(task.Verify(prompt, answer + "\nanything after the first line"));
        Assert.False(task.Verify(prompt, answer + "x"));
    }

    [Fact]
    public void HabitsAreTheDocumentedMistakes()
    {
        var random = new Random(3);
        foreach (var task in TaskCatalog.All)
            for (int i = 0; i < 200; i++)
            {
                var instance = task.Sample(random);
                Assert.Equal(instance.Answer, task.Solve(instance.Prompt));
                Assert.True(task.Verify(instance.Prompt, instance.Answer));
                Assert.Equal(instance.HabitIsWrong, !task.Verify(instance.Prompt, instance.HabitAnswer));
            }
        // 47 + 385 without carries: 7+5 -> 2, 4+8 -> 2, 0+3 -> 3, carry-out digit 0.
        Assert.Equal("2230", AdditionTask.WithoutCarry("047", "385"));
    }

    [Fact]
    public void EveryFamilyHasHabitsThatAreOftenWrong()
    {
        var random = new Random(1);
        foreach (var task in TaskCatalog.All)
        {
            var wrong = Enumerable.Range(0, 1000).Count(_ => task.Sample(random).HabitIsWrong);
            Assert.InRange(wrong, 300, 1000);
        }
    }
}
