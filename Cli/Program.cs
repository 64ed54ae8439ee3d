return SgBridge.Cli.CliApp.Run(args, Console.Out, Console.Error);
