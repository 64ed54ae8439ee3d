using System.Drawing;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using SgBridge.Local.Demo;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;

namespace SgBridge.Tests.Local;

/// <summary>A fact that is skipped with an install hint when Debian's chromium or chromedriver is missing.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";
    public const string ChromeDriver = "/usr/bin/chromedriver";

    public BrowserFactAttribute()
    {
        if (!File.Exists(Chromium) || !File.Exists(ChromeDriver))
        {
            Skip = $"{Chromium} or {ChromeDriver} not found: apt-get install -y chromium chromium-driver (test.sh does it when apt-get is there)";
        }
    }
}

/// <summary>
/// The approvers' page in a real browser (headless Debian Chromium through chromedriver): it shows the request the
/// bridge posted, a click on Approve asks for the confirmation the button carries, sends the signed request, and the
/// page then shows the decision and AWS following. Set SGBRIDGE_SCREENSHOT to a path to keep a screenshot (docs/demo.png).
/// </summary>
[Collection(LocalCollection.Name), Trait("Category", "Integration")]
public sealed class ApproversPageBrowserTests(LocalBridgeFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [BrowserFact]
    public async Task Page_ShowsTheRequest_AndApproveAppliesItAndUpdatesTheMessage()
    {
        var bridge = fixture.Bridge;
        var story = new DemoStory(bridge, TextWriter.Null);
        await story.SetUpAsync(CancellationToken.None);
        await story.MakeRiskyChangeAsync(CancellationToken.None);
        await story.WaitForRevertAsync(CancellationToken.None);
        Assert.All(story.Steps, s => Assert.True(s.Happened, $"{s.Name}: {s.Detail}"));
        var message = story.ApproverMessage()!;
        var approve = (string)story.FindButton(message, ActionIds.ApproveFor)!.Value.Button["action_id"]!;

        using var driver = StartBrowser();
        driver.Navigate().GoToUrl(bridge.BaseUrl);

        var row = $"[data-channel='{message.Channel}'][data-ts='{message.Ts}']";
        var shown = Until(driver, d => d.FindElement(By.CssSelector(row)).Text);
        Assert.Contains(story.RequestId!, shown, StringComparison.Ordinal);
        Assert.Contains("waiting for approval", shown, StringComparison.Ordinal);
        Assert.Contains("web-frontend", Until(driver, d => d.FindElement(By.Id("aws")).Text), StringComparison.Ordinal);

        Until(driver, d =>
        {
            // The duration select: picking its first duration is the click (its confirm comes next).
            d.FindElement(By.CssSelector($"{row} select[data-action-id='{approve}'] option:nth-child(2)")).Click();
            return true;
        });
        var dialog = Until(driver, d => d.FindElement(By.Id("confirm")) is { Displayed: true } e ? e : null);
        Assert.Contains("risky access", dialog.Text, StringComparison.Ordinal);
        dialog.FindElement(By.Id("confirm-ok")).Click();

        Assert.Contains("HTTP 200", Until(driver, d => d.FindElement(By.Id("log")).Text is { Length: > 0 } t && t.Contains("HTTP", StringComparison.Ordinal) ? t : null), StringComparison.Ordinal);
        await WaitAsync(async () => await story.StatusAsync(CancellationToken.None) == RequestStatus.Applied);
        Assert.True(await story.HasRiskyRuleAsync(CancellationToken.None));
        var updated = Until(driver, d =>
        {
            var e = d.FindElement(By.CssSelector(row));
            return e.FindElements(By.CssSelector($"[data-action-id='{approve}']")).Count == 0 && !e.Text.Contains("waiting for approval", StringComparison.Ordinal) ? e.Text : null;
        });
        Assert.Contains("edited", updated, StringComparison.Ordinal);
        Until(driver, d => d.FindElements(By.CssSelector("#aws tr.risky")).Count > 0);

        if (Environment.GetEnvironmentVariable("SGBRIDGE_SCREENSHOT") is { Length: > 0 } path)
        {
            Thread.Sleep(1500); // the update's highlight fades
            ((IJavaScriptExecutor)driver).ExecuteScript("document.getElementById('channel').scrollTop = 0;");
            ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(path);
        }
    }

    private static ChromeDriver StartBrowser()
    {
        var options = new ChromeOptions { BinaryLocation = BrowserFactAttribute.Chromium };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(BrowserFactAttribute.ChromeDriver)!, Path.GetFileName(BrowserFactAttribute.ChromeDriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(90));
        driver.Manage().Window.Size = new Size(1400, 1000);
        return driver;
    }

    /// <summary>Polls the page until <paramref name="read"/> gives a value (the page re-renders, so elements may go stale in between).</summary>
    private static T Until<T>(IWebDriver driver, Func<IWebDriver, T?> read)
    {
        var deadline = DateTime.UtcNow + Patience;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (read(driver) is { } value && (value is not bool b || b))
                {
                    return value;
                }
            }
            catch (Exception ex) when (ex is NoSuchElementException or StaleElementReferenceException or ElementNotInteractableException or ElementClickInterceptedException)
            {
                last = ex;
            }
            Thread.Sleep(150);
        }
        throw new TimeoutException($"The page did not get there within {Patience.TotalSeconds} s. Page text:\n{driver.FindElement(By.TagName("body")).Text}", last);
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not within {Patience.TotalSeconds} s.");
            await Task.Delay(150);
        }
    }
}
