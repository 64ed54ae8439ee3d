return await SgBridge.Cli.CliApp.RunAsync(args, SgBridge.Cli.CliContext.FromProcess());
