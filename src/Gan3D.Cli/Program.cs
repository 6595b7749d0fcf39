return Gan3D.Cli.CliApp.Run(args);
