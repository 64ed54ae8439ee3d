using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SgBridge.Cli;
using SgBridge.Tests.Cli;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Local;

/// <summary>`sgbridge demo` as docs/local.md and the README show it: interactive (a person clicks on the page) and --script.</summary>
[Trait("Category", "Integration")]
public sealed partial class DemoCommandTests
{
    [Fact]
    public async Task Demo_Interactive_PrintsThePage_AndAClickThereCompletesTheLoop()
    {
        var output = new SyncWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var run = CliApp.RunAsync(["demo"], new CliContext { Out = output, Error = output }, stop.Token);

        var page = await WaitForAsync(() => PageLine().Match(output.Text) is { Success: true } m ? new Uri(m.Groups[1].Value) : null, run);
        await WaitForAsync(() => output.Text.Contains("approvers' message posted", StringComparison.Ordinal) ? "" : null, run);
        using var http = new HttpClient();
        Assert.Contains("<title>SgBridge", await http.GetStringAsync(page), StringComparison.Ordinal);
        // What the page's Approve button sends (app.js): the message, the button, who clicks.
        var state = JsonNode.Parse(await http.GetStringAsync(new Uri(page, "page/state")))!;
        var message = state["messages"]!.AsArray().Last(m => (string?)m!["channel"] == "CAPPROVERS")!;
        var actions = message["blocks"]!.AsArray().Single(b => (string?)b!["type"] == "actions")!;
        var approve = actions["elements"]!.AsArray().First(e => ((string)e!["action_id"]!).StartsWith("sgbridge_approve", StringComparison.Ordinal))!;
        // A duration select sends the option picked (its first duration here); a plain button its value.
        var option = (string?)approve["type"] == "static_select" ? approve["options"]!.AsArray()[0] : null;
        using var click = await http.PostAsJsonAsync(new Uri(page, "page/click"), new
        {
            channel = (string?)message["channel"], ts = (string?)message["ts"], actionId = (string?)approve["action_id"],
            blockId = (string?)actions["block_id"], value = (string?)approve["value"], user = "UAPPROVER1",
            selectedValue = (string?)option?["value"], selectedText = (string?)option?["text"]?["text"],
        });
        Assert.Equal(200, (int?)JsonNode.Parse(await click.Content.ReadAsStringAsync())!["status"]);

        await WaitForAsync(() => output.Text.Contains("The loop is done", StringComparison.Ordinal) ? "" : null, run);
        await stop.CancelAsync();

        Assert.Equal(ExitCodes.Success, await run);
        Assert.DoesNotContain("✘", output.Text, StringComparison.Ordinal);
        Assert.Contains("request Applied", output.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_ScriptDeny_EndsDeniedWithTheRuleStillUndone()
    {
        var output = new SyncWriter();

        var exit = await CliApp.RunAsync(["demo", "--script", "--deny"], new CliContext { Out = output, Error = output });

        Assert.True(exit == ExitCodes.Success, output.Text);
        Assert.Contains("request Denied", output.Text, StringComparison.Ordinal);
        Assert.Contains("rule still absent from EC2", output.Text, StringComparison.Ordinal);
        Assert.Contains("Demo: all 10 steps happened.", output.Text, StringComparison.Ordinal);
    }

    [MotoFact]
    public async Task Demo_ScriptOnMoto_RunsTheSameStory()
    {
        var output = new SyncWriter();

        var exit = await CliApp.RunAsync(["demo", "--script", "--aws", "moto"], new CliContext { Out = output, Error = output });

        Assert.True(exit == ExitCodes.Success, output.Text);
        Assert.Contains("Demo: all 10 steps happened.", output.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_DenyWithoutScript_IsAUsageError()
    {
        var error = new StringWriter();

        var exit = CliRun.Sync(["demo", "--deny"], new StringWriter(), error);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--deny goes with --script", error.ToString(), StringComparison.Ordinal);
    }

    private static async Task<T> WaitForAsync<T>(Func<T?> read, Task<int> run)
        where T : class
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            if (read() is { } value)
            {
                return value;
            }
            Assert.False(run.IsCompleted, $"demo ended early with {(run.IsCompletedSuccessfully ? run.Result : -1)}");
            Assert.True(DateTime.UtcNow < deadline, "demo did not get there within 2 minutes");
            await Task.Delay(100);
        }
    }

    [GeneratedRegex(@"Open the approvers' page: (http://\S+)")]
    private static partial Regex PageLine();

    private sealed class SyncWriter : StringWriter
    {
        private readonly Lock _lock = new();

        public string Text
        {
            get
            {
                lock (_lock)
                {
                    return ToString();
                }
            }
        }

        public override void Write(char value)
        {
            lock (_lock)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_lock)
            {
                base.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_lock)
            {
                base.WriteLine(value);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(string? value)
        {
            Write(value);
            return Task.CompletedTask;
        }
    }
}
