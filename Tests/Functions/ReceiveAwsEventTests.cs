using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Functions;

/// <summary>The intake trigger called as the host calls it, and its HTTP answer rendered as ASP.NET Core renders it.</summary>
public class ReceiveAwsEventTests
{
    private readonly RecordingQueue _queue = new();

    private ReceiveAwsEvent Function()
    {
        var policy = O.Create(new PolicyOptions { AllowedAccounts = "111111111111" });
        return new(new Bridge().EnqueueOnlyIntake(new ChangePolicy(policy, O.Create(new AwsOptions { RoleArnPattern = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole", WebIdentityAudience = "api://x" })), _queue, policy, new IntakeOptions(), TimeProvider.System));
    }

    private static async Task<(int Status, string ContentType, string Body, string? RetryAfter)> RenderAsync(IActionResult result)
    {
        var http = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().AddMvcCore().Services.BuildServiceProvider(),
        };
        http.Response.Body = new MemoryStream();
        await result.ExecuteResultAsync(new ActionContext(http, new RouteData(), new ActionDescriptor()));
        http.Response.Body.Position = 0;
        return (http.Response.StatusCode, http.Response.ContentType ?? "", await new StreamReader(http.Response.Body).ReadToEndAsync(), http.Response.Headers.RetryAfter.FirstOrDefault());
    }

    private static HttpRequest Request(byte[] body, string contentType = "application/json; charset=utf-8")
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        http.Request.ContentType = contentType;
        http.Request.Body = new MemoryStream(body);
        http.Request.ContentLength = body.Length;
        return http.Request;
    }

    [Fact]
    public async Task RunAsync_ValidEvent_Answers202WithTheRequestId()
    {
        var (status, _, body, _) = await RenderAsync(await Function().RunAsync(Request(File.ReadAllBytes(RepoRoot.Sample("authorize-ssh-from-internet.json"))), default));
        Assert.Equal(202, status);
        Assert.Equal("SG-", JsonDocument.Parse(body).RootElement.GetProperty("requestId").GetString()![..3]);
    }

    [Fact]
    public async Task RunAsync_BadJson_AnswersProblemJson()
    {
        var (status, contentType, body, _) = await RenderAsync(await Function().RunAsync(Request(Encoding.UTF8.GetBytes("[1,2")), default));
        Assert.Equal(400, status);
        Assert.StartsWith("application/problem+json", contentType, StringComparison.Ordinal);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task RunAsync_QueueDown_Answers503WithRetryAfter()
    {
        _queue.FailWith = new SgBridge.Shared.Storage.StorageUnavailableException("unavailable", null);
        var (status, _, _, retryAfter) = await RenderAsync(await Function().RunAsync(Request(File.ReadAllBytes(RepoRoot.Sample("authorize-ssh-from-internet.json"))), default));
        Assert.Equal((503, "5"), (status, retryAfter));
    }

    [Fact]
    public async Task RunAsync_BodyOver256KB_Answers413WithoutReadingItAll()
    {
        var big = new byte[EventIntake.MaxBodyBytes * 4];
        var (status, _, _, _) = await RenderAsync(await Function().RunAsync(Request(big), default));
        Assert.Equal(413, status);
        Assert.Empty(_queue.Sent);
    }
}
