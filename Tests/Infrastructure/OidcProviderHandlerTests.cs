using System.Diagnostics;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Infrastructure;

/// <summary>
/// pCreateOidcProvider=auto (the default): each account's stack looks the Entra OIDC provider up and creates it only
/// where it is missing, through the member-role template's inline custom resource. The template wires it (the role
/// trusts what the lookup returns; both templates default to auto), and the handler's own code, extracted from the
/// template, runs against moto's IAM in-process (Tests/Infrastructure/oidc_provider_handler_test.py): missing →
/// created and deleted with the stack; existing → reused, audience added, and only that undone on delete; another
/// stack's provider untouched; an update swaps the audience; a failure is reported to CloudFormation.
/// </summary>
public sealed class OidcProviderHandlerTests
{
    private const string MemberRole = "aws-bootstrap/sgbridge-member-role.yaml";

    [Fact]
    public void AutoMode_IsTheDefault_AndTheRoleTrustsTheProviderTheLookupReturns()
    {
        var role = CloudFormationTemplate.Load(MemberRole);
        var main = CloudFormationTemplate.Load("aws-bootstrap/sgbridge-main.yaml");
        Assert.Equal("auto", role.Parameters.Map("pCreateOidcProvider").Get("Default"));
        Assert.Equal("auto", main.Parameters.Map("pCreateOidcProvider").Get("Default"));

        var lookup = role.Resources.Map("rOidcProviderLookup");
        Assert.Equal("Custom::EntraOidcProvider", lookup.Get("Type"));
        Assert.Equal("cAutoOidcProvider", lookup.Get("Condition"));
        Assert.Equal("Fn::Sub(https://sts.windows.net/${pEntraTenantId}/)", CloudFormationTemplateTests.Render(lookup.Map("Properties").Get("Url")));
        Assert.Equal("Fn::If[cHasAudience, Ref(pAudience), Fn::Sub(api://${pEntraTenantId}/sgbridge-aws)]", CloudFormationTemplateTests.Render(lookup.Map("Properties").Get("ClientId")));

        var trust = Assert.IsType<CfnFunction>(Assert.IsType<CfnFunction>(role.Resources.Map("rExecutionRole").Map("Properties").Get("AssumeRolePolicyDocument")).Argument.AsList()[1]);
        var providerArn = CloudFormationTemplateTests.Render(((Dictionary<string, object?>)trust.Argument.AsList()[1]!).Get("ProviderArn"));
        Assert.StartsWith("Fn::If[cAutoOidcProvider, Fn::GetAtt(rOidcProviderLookup.Arn), Fn::If[cCreateOidcProvider, Ref(rOidcProvider), ", providerArn, StringComparison.Ordinal);

        // The function may touch only this tenant's provider (listing is account-wide by nature).
        var statements = role.Resources.Map("rOidcProviderFunctionRole").Map("Properties").Get("Policies").AsList()
            .SelectMany(p => p.Map("PolicyDocument").Get("Statement").AsList()).ToList();
        var manage = Assert.Single(statements, s => s.Get("Sid") as string == "ManageTheTenantProvider");
        Assert.Equal("Fn::Sub(arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/sts.windows.net/${pEntraTenantId}/)", CloudFormationTemplateTests.Render(manage.Get("Resource")));
    }

    [MotoFact]
    public async Task Handler_AgainstMotoIam_CreatesOnlyWhereMissing_AndDeletesOnlyWhatItCreatedOrAdded()
    {
        // moto_server is installed (MotoFact), so its Python package is: the handler runs against moto's IAM in-process.
        Assert.True(await PythonAsync(["-c", "import moto, boto3"]) is { ExitCode: 0 }, "python3 cannot import moto and boto3 (pip install moto[server] boto3).");
        var code = (string)CloudFormationTemplate.Load(MemberRole).Resources.Map("rOidcProviderFunction").Map("Properties").Map("Code").Get("ZipFile")!;
        Assert.True(code.Length < 4096, $"inline Lambda code is {code.Length} characters; CloudFormation's ZipFile takes at most 4096");
        var dir = Directory.CreateTempSubdirectory("sgbridge-oidc-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "index.py"), code);
            var result = await PythonAsync([RepoPaths.Combine("Tests", "Infrastructure", "oidc_provider_handler_test.py"), dir.FullName]);
            Assert.True(result is { ExitCode: 0 }, result?.Output ?? "python3 did not start");
            Assert.Contains("Ran 6 tests", result!.Output, StringComparison.Ordinal);
            Assert.Contains("OK", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<CfnLintResult?> PythonAsync(IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }
        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
        using (process)
        {
            if (process is null)
            {
                return null;
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"python3 {string.Join(' ', arguments)} did not finish within 3 minutes.");
            }
            return new CfnLintResult(process.ExitCode, await stdout + await stderr);
        }
    }
}
