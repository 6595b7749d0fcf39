using System.CommandLine;
using System.Globalization;
using Gan3D.Bench;
using Gan3D.Kernels;
using Gan3D.Tensors;

// gan3d-bench: validate-then-time harness for the CPU and ILGPU kernels (llm.c style).
var root = new RootCommand("gan3d-bench: each kernel version is validated against the float64 reference, then timed; GFLOP/s and, on the CPU, share of this machine's measured FMA peak.");

var threads = new Option<int>("--threads") { Description = "CPU threads (0 = all cores)", DefaultValueFactory = _ => 0 };
var repeat = new Option<int>("--repeat") { Description = "Timed repetitions (median reported, after a warm-up of at least 40 calls and 1 s)", DefaultValueFactory = _ => 5 };
var device = new Option<string>("--device")
{
    Description = "cpu (the managed backend), ilgpu-cpu (the ILGPU kernels on ILGPU's CPU emulator, with 32-wide warps so versions 2 and 3 run: slow) or cuda[:N]",
    DefaultValueFactory = _ => "cpu",
};

var peakCmd = new Command("peak", "Measure the FP32 FMA peak with a register-only micro-kernel") { threads };
peakCmd.SetAction(parse =>
{
    int t = parse.GetValue(threads) is > 0 and var v ? v : Environment.ProcessorCount;
    var (one, all, isa) = FmaPeak.Measure(t);
    Console.WriteLine($"FMA peak ({isa}): {one:F1} GFLOP/s on one core, {all:F1} GFLOP/s on {t} threads");
    return 0;
});
root.Subcommands.Add(peakCmd);

var reportOurs = new Option<string>("--ours") { Description = "JSON from gan3d profile --json", Required = true };
var reportPeer = new Option<string>("--peer") { Description = "JSON from bench/peer/torch_gan.py", Required = true };
var reportTitle = new Option<string>("--title") { Description = "Section title", DefaultValueFactory = _ => "gan3d vs PyTorch" };
var reportCommand = new Option<string>("--command") { Description = "The command that produced both files", DefaultValueFactory = _ => "" };
var reportCommit = new Option<string>("--commit") { Description = "The commit measured", DefaultValueFactory = _ => "unknown" };
var reportOursRounds = new Option<string[]>("--ours-iteration")
{
    Description = "JSON files from gan3d profile --iteration-only, one per round, in the order run",
    AllowMultipleArgumentsPerToken = true,
};
var reportPeerRounds = new Option<string[]>("--peer-iteration")
{
    Description = "JSON files from torch_gan.py --iteration-only, one per round (round i ran right after ours)",
    AllowMultipleArgumentsPerToken = true,
};
var reportCmd = new Command("report", "Markdown side-by-side table of ours and the PyTorch peer's profile JSON (ratio = ours ÷ PyTorch)")
{
    reportOurs, reportPeer, reportTitle, reportCommand, reportCommit, reportOursRounds, reportPeerRounds,
};
reportCmd.SetAction(parse =>
{
    Console.Write(CompareReport.Markdown(parse.GetValue(reportOurs)!, parse.GetValue(reportPeer)!, parse.GetValue(reportTitle)!,
        parse.GetValue(reportCommand)!, parse.GetValue(reportCommit)!,
        parse.GetValue(reportOursRounds) ?? [], parse.GetValue(reportPeerRounds) ?? []));
    return 0;
});
root.Subcommands.Add(reportCmd);

var studyData = new Option<string>("--data") { Description = "Training shapes: a .npy/.npy.gz file or 'procedural' (the built-in families, 50 a family)", DefaultValueFactory = _ => "procedural" };
var studyWidth = new Option<double>("--width") { Description = "Width multiplier of the encoder (D's shape) and decoder (G's)", DefaultValueFactory = _ => 0.25 };
var studyIterations = new Option<int>("--iterations") { Description = "Autoencoder iterations at batch 32", DefaultValueFactory = _ => 2500 };
var studySamples = new Option<int>("--samples") { Description = "Shapes a draw (match the eval's reference count)", DefaultValueFactory = _ => 600 };
var studyDraws = new Option<int>("--draws") { Description = "Independent draws of each sampler", DefaultValueFactory = _ => 5 };
var studySeed = new Option<ulong>("--seed") { Description = "Seed of the weights and the data order", DefaultValueFactory = _ => 0 };
var studyLr = new Option<float>("--lr") { Description = "Adam's learning rate (β 0.9, 0.999)", DefaultValueFactory = _ => 1e-3f };
var studyOut = new Option<string>("--out") { Description = "Prefix of the sample files", Required = true };
var studyCmd = new Command("latent-study", "Issue 17's latent-model arm: train an autoencoder (D-shaped encoder, G as decoder), draw codes near the training shapes' codes, write the decoded samples for 'gan3d eval --shapes' (docs/quality.md)")
{
    studyData, studyWidth, studyIterations, studySamples, studyDraws, studySeed, studyLr, studyOut, threads,
};
studyCmd.SetAction(parse =>
{
    LatentStudy.Run(new LatentStudy.Settings(parse.GetValue(studyData)!, parse.GetValue(studyWidth), parse.GetValue(studyIterations),
        parse.GetValue(studySamples), parse.GetValue(studyDraws), parse.GetValue(threads), parse.GetValue(studySeed), parse.GetValue(studyLr),
        parse.GetValue(studyOut)!), Console.Out);
    return 0;
});
root.Subcommands.Add(studyCmd);

var lganCheckpoint = new Option<string>("--checkpoint") { Description = "A latent model's checkpoint (gan3d train --model latent)", Required = true };
var lganIterations = new Option<int>("--iterations") { Description = "l-GAN iterations", DefaultValueFactory = _ => 20000 };
var lganHidden = new Option<int>("--hidden") { Description = "Hidden units of G's and D's two hidden layers", DefaultValueFactory = _ => 256 };
var lganNoise = new Option<int>("--noise") { Description = "G's input size (N(0, 1))", DefaultValueFactory = _ => 64 };
var lganBatch = new Option<int>("--batch") { Description = "Codes a batch", DefaultValueFactory = _ => 64 };
var lganLr = new Option<float>("--lr") { Description = "Adam's learning rate for G and D (β 0.5, 0.9)", DefaultValueFactory = _ => 1e-4f };
var lganPenalty = new Option<float>("--penalty") { Description = "R1's γ on D's gradient at the real codes, or WGAN-GP's λ with --critic", DefaultValueFactory = _ => 1f };
var lganCritic = new Option<int>("--critic") { Description = "0: cross entropy with R1 (γ = --penalty); k > 0: WGAN-GP (λ = --penalty) with k critic steps a G step", DefaultValueFactory = _ => 0 };
var lganCmd = new Command("lgan-study", "Issue 17's l-GAN arm: a small GAN on a latent model's stored codes, its samples decoded by the model's decoder, written for 'gan3d eval --shapes'")
{
    lganCheckpoint, lganIterations, lganHidden, lganNoise, lganBatch, lganLr, lganPenalty, lganCritic, studySamples, studyDraws, studySeed, studyOut, threads,
};
lganCmd.SetAction(parse =>
{
    LatentGanStudy.Run(new LatentGanStudy.Settings(parse.GetValue(lganCheckpoint)!, parse.GetValue(lganIterations), parse.GetValue(lganHidden),
        parse.GetValue(lganNoise), parse.GetValue(lganBatch), parse.GetValue(lganLr), parse.GetValue(lganPenalty), parse.GetValue(lganCritic), parse.GetValue(studySamples),
        parse.GetValue(studyDraws), parse.GetValue(threads), parse.GetValue(studySeed), parse.GetValue(studyOut)!), Console.Out);
    return 0;
});
root.Subcommands.Add(lganCmd);

var dataShared = new Option<string?>("--shared") { Description = "The shared data folder (default ../shared/data from the repository root); its cases are skipped when absent" };
var dataPeer = new Option<string?>("--peer") { Description = "JSON from bench/peer/data_peer.py: the peer's times for the same cases" };
var dataOut = new Option<string?>("--markdown") { Description = "Also append the results table to this Markdown file" };
var dataCommand = new Option<string>("--command") { Description = "The command line to record", DefaultValueFactory = _ => "gan3d-bench data" };
var dataCommit = new Option<string>("--commit") { Description = "The commit measured", DefaultValueFactory = _ => "unknown" };
var dataCmd = new Command("data", "Validate then time the data layer: voxelizer, procedural shapes, marching cubes, renderers, voxel and mesh files")
{
    dataShared, dataPeer, dataOut, dataCommand, dataCommit, repeat,
};
dataCmd.SetAction(parse =>
{
    string? shared = parse.GetValue(dataShared) ?? Path.Combine("..", "shared", "data");
    if (!Directory.Exists(shared))
    {
        shared = null;
    }
    var (peer, peerVersion) = DataBench.ReadPeer(parse.GetValue(dataPeer));
    var cases = DataBench.Run(shared, parse.GetValue(repeat), peer, Console.Out);
    string table = DataBench.Markdown(cases, Environment.ProcessorCount, parse.GetValue(dataCommand)!, parse.GetValue(dataCommit)!, peerVersion);
    Console.WriteLine();
    Console.Write(table);
    if (parse.GetValue(dataOut) is { } markdown)
    {
        File.AppendAllText(markdown, table + Environment.NewLine);
    }
    return 0;
});
root.Subcommands.Add(dataCmd);

foreach (var (name, pass, transposed) in new[]
{
    ("conv3d-forward", ConvPass.Forward, false),
    ("conv3d-backward-data", ConvPass.BackwardData, false),
    ("conv3d-backward-weight", ConvPass.BackwardWeight, false),
    ("conv-transpose3d-forward", ConvPass.BackwardData, true),
})
{
    var version = new Option<int>("--version", "-v") { Description = "Kernel version: 1 (naive), 2 (implicit GEMM), 3 (CPU: with shape-specific paths, the default; ILGPU: 8×8 register tiles)", DefaultValueFactory = _ => 3 };
    var layer = new Option<string?>("--layer") { Description = "A GAN layer: g32.1..4, d32.1..4, g64.1..5, d64.1..5" };
    var all = new Option<bool>("--all-layers") { Description = "Every layer of G and D at --resolution" };
    var resolution = new Option<int>("--resolution") { Description = "32 or 64 (with --all-layers)", DefaultValueFactory = _ => 32 };
    var batch = new Option<int>("--batch") { Description = "Batch size of GAN layers", DefaultValueFactory = _ => 32 };
    var width = new Option<double>("--width") { Description = "Width multiplier of GAN layers", DefaultValueFactory = _ => 1.0 };
    var shape = new Option<string?>("--shape") { Description = "Explicit input N,C,D,H,W (with --out-channels, --kernel, --stride, --padding)" };
    var outC = new Option<int>("--out-channels") { DefaultValueFactory = _ => 1 };
    var kernel = new Option<int>("--kernel") { DefaultValueFactory = _ => 4 };
    var stride = new Option<int>("--stride") { DefaultValueFactory = _ => 1 };
    var padding = new Option<int>("--padding") { DefaultValueFactory = _ => 0 };
    var isa = new Option<string>("--isa") { Description = "auto, v512, v256 or scalar", DefaultValueFactory = _ => "auto" };
    var cmd = new Command(name, $"Validate then time {name} {(transposed ? "(G's layers)" : "")}".Trim())
    {
        version, layer, all, resolution, batch, width, shape, outC, kernel, stride, padding, isa, threads, repeat, device,
    };
    cmd.SetAction(parse =>
    {
        int t = parse.GetValue(threads) is > 0 and var tv ? tv : Environment.ProcessorCount;
        var gemmIsa = parse.GetValue(isa) switch
        {
            "v512" => GemmIsa.Vector512,
            "v256" => GemmIsa.Vector256,
            "scalar" => GemmIsa.Scalar,
            _ => GemmIsa.Auto,
        };
        using var be = BenchDevice.Create(parse.GetValue(device)!, t, gemmIsa);
        double peak = BenchDevice.Peak(be, t);
        var cases = new List<ConvCase>();
        if (parse.GetValue(all))
        {
            cases.AddRange(ConvCase.ModelLayers(parse.GetValue(resolution), parse.GetValue(batch), parse.GetValue(width)).Where(c => c.Transposed == transposed));
        }
        else if (parse.GetValue(layer) is { } l)
        {
            int res = l.Contains("64", StringComparison.Ordinal) ? 64 : 32;
            var c = ConvCase.ModelLayers(res, parse.GetValue(batch), parse.GetValue(width)).FirstOrDefault(x => x.Name == l)
                ?? throw new ArgumentException($"unknown layer {l}");
            cases.Add(c);
        }
        else if (parse.GetValue(shape) is { } s)
        {
            var v = s.Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            int k = parse.GetValue(kernel), st = parse.GetValue(stride), p = parse.GetValue(padding);
            cases.Add(new ConvCase("shape", Conv3dGeometry.Create(v[0], v[1], v[2], v[3], v[4], parse.GetValue(outC), k, k, k, st, st, st, p, p, p), false));
        }
        else
        {
            Console.Error.WriteLine("give --layer, --all-layers or --shape");
            return 2;
        }
        int rc = 0;
        foreach (var c in cases)
        {
            var passes = name == "conv3d-backward-weight" && transposed == false && parse.GetValue(all)
                ? [pass] : new[] { pass };
            foreach (var ps in passes)
            {
                rc |= ConvBench.Run(c, ps, parse.GetValue(version), Math.Max(1, parse.GetValue(repeat)), be, peak, Console.Out);
            }
        }
        return rc;
    });
    root.Subcommands.Add(cmd);
}

var gm = new Option<int>("--m") { DefaultValueFactory = _ => 256 };
var gn = new Option<int>("--n") { DefaultValueFactory = _ => 4096 };
var gk = new Option<int>("--k") { DefaultValueFactory = _ => 2048 };
var gkc = new Option<int>("--kc") { Description = "Override the K block", DefaultValueFactory = _ => 0 };
var gnc = new Option<int>("--nc") { Description = "Override the N block", DefaultValueFactory = _ => 0 };
var gmc = new Option<int>("--mc-panels") { Description = "Override the A block (in 6-row panels)", DefaultValueFactory = _ => 0 };
var gemmCmd = new Command("gemm", "Time the packed GEMM engine on dense row-major operands (C = A·B), after checking a few entries") { gm, gn, gk, gkc, gnc, gmc, threads, repeat };
gemmCmd.SetAction(parse =>
{
    if (parse.GetValue(gkc) > 0) { ImplicitGemm.Kc = parse.GetValue(gkc); }
    if (parse.GetValue(gnc) > 0) { ImplicitGemm.Nc = parse.GetValue(gnc); }
    if (parse.GetValue(gmc) > 0) { ImplicitGemm.McPanels = parse.GetValue(gmc); }
    int t = parse.GetValue(threads) is > 0 and var tv ? tv : Environment.ProcessorCount;
    var (_, peak, _) = FmaPeak.Measure(t);
    double ms = GemmBench.Run(parse.GetValue(gm), parse.GetValue(gn), parse.GetValue(gk), t, Math.Max(1, parse.GetValue(repeat)), out double err);
    double gflops = 2.0 * parse.GetValue(gm) * parse.GetValue(gn) * parse.GetValue(gk) / (ms * 1e6);
    Console.WriteLine($"gemm {parse.GetValue(gm)}x{parse.GetValue(gn)}x{parse.GetValue(gk)}: {ms:F2} ms, {gflops:F1} GFLOP/s, {gflops / peak:P0} of {peak:F0} (max rel err of sampled entries {err:E1})");
    return err < 1e-4 ? 0 : 1;
});
root.Subcommands.Add(gemmCmd);

// The layers of G are timed in all three passes through "layers".
var layersCmd = new Command("layers", "Every convolution of G and D, all three passes, validated then timed");
var lres = new Option<int>("--resolution") { DefaultValueFactory = _ => 32 };
var lbatch = new Option<int>("--batch") { DefaultValueFactory = _ => 32 };
var lwidth = new Option<double>("--width") { DefaultValueFactory = _ => 1.0 };
var lver = new Option<int>("--version", "-v") { DefaultValueFactory = _ => 3 };
layersCmd.Options.Add(lres);
layersCmd.Options.Add(lbatch);
layersCmd.Options.Add(lwidth);
layersCmd.Options.Add(lver);
layersCmd.Options.Add(threads);
layersCmd.Options.Add(repeat);
layersCmd.Options.Add(device);
layersCmd.Options.Add(gkc);
layersCmd.Options.Add(gnc);
layersCmd.Options.Add(gmc);
layersCmd.SetAction(parse =>
{
    if (parse.GetValue(gkc) > 0) { ImplicitGemm.Kc = parse.GetValue(gkc); }
    if (parse.GetValue(gnc) > 0) { ImplicitGemm.Nc = parse.GetValue(gnc); }
    if (parse.GetValue(gmc) > 0) { ImplicitGemm.McPanels = parse.GetValue(gmc); }
    int t = parse.GetValue(threads) is > 0 and var tv ? tv : Environment.ProcessorCount;
    using var be = BenchDevice.Create(parse.GetValue(device)!, t, GemmIsa.Auto);
    double peak = BenchDevice.Peak(be, t);
    int rc = 0;
    foreach (var c in ConvCase.ModelLayers(parse.GetValue(lres), parse.GetValue(lbatch), parse.GetValue(lwidth)))
    {
        foreach (var p in new[] { ConvPass.Forward, ConvPass.BackwardData, ConvPass.BackwardWeight })
        {
            bool needed = !(c.Name.EndsWith(".1", StringComparison.Ordinal) && c.Name.StartsWith('d') && p == ConvPass.BackwardData);
            if (needed)
            {
                rc |= ConvBench.Run(c, p, parse.GetValue(lver), Math.Max(1, parse.GetValue(repeat)), be, peak, Console.Out);
            }
        }
    }
    return rc;
});
root.Subcommands.Add(layersCmd);

var abA = new Option<int>("--a") { Description = "Version A", DefaultValueFactory = _ => 2 };
var abB = new Option<int>("--b") { Description = "Version B", DefaultValueFactory = _ => 3 };
var abRounds = new Option<int>("--rounds") { Description = "A/B alternations (the minimum of each is reported)", DefaultValueFactory = _ => 10 };
var abFilter = new Option<string?>("--filter") { Description = "Only layers whose label (e.g. \"d32.2 b32 w1\") contains this" };
var abCmd = new Command("conv-ab", "The convolution layers of the CPU performance issue: two versions validated against version 1, then timed alternating in one process (minimum of each)")
{
    abA, abB, abRounds, abFilter, threads,
};
abCmd.SetAction(parse =>
{
    int t = parse.GetValue(threads) is > 0 and var tv ? tv : Environment.ProcessorCount;
    return ConvAb.Run(parse.GetValue(abFilter), parse.GetValue(abA), parse.GetValue(abB), Math.Max(2, parse.GetValue(abRounds)), t, Console.Out);
});
root.Subcommands.Add(abCmd);

var sassToolkit = new Option<string>("--toolkit") { Description = "Folder holding NVIDIA's ptxas and cuobjdump (bench/gpu/sass.sh fetches them)", Required = true };
var sassArch = new Option<string>("--arch") { Description = "Target architecture", DefaultValueFactory = _ => "sm_90" };
var sassJson = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
var sassMarkdown = new Option<string?>("--markdown") { Description = "Also write the report as Markdown to this file" };
var sassPtx = new Option<string?>("--keep") { Description = "Keep the .ptx and .cubin files in this folder" };
var sassCommand = new Option<string>("--command") { Description = "The command line to record", DefaultValueFactory = _ => "gan3d-bench sass" };
var sassCommit = new Option<string>("--commit") { Description = "The commit measured", DefaultValueFactory = _ => "unknown" };
var sassFilter = new Option<string?>("--filter") { Description = "Only kernels whose name (Type.Method) contains this: a partial report, for work on one kernel" };
var sassCmd = new Command("sass", "Assemble every kernel for a GPU with ptxas, without a GPU: registers, spills, shared memory, SASS instruction mix of the hottest loop; fails on any ptxas error or spill")
{
    sassToolkit, sassArch, sassJson, sassMarkdown, sassPtx, sassCommand, sassCommit, sassFilter,
};
sassCmd.SetAction(parse => Gan3D.Bench.Sass.SassReport.Run(parse.GetValue(sassToolkit)!, parse.GetValue(sassArch)!, parse.GetValue(sassJson),
    parse.GetValue(sassMarkdown), parse.GetValue(sassPtx), parse.GetValue(sassCommand)!, parse.GetValue(sassCommit)!, parse.GetValue(sassFilter), Console.Out));
root.Subcommands.Add(sassCmd);

var elementwiseRounds = new Option<int>("--rounds") { Description = "Alternations of A and B (the minimum of each is reported)", DefaultValueFactory = _ => 30 };
var elementwiseCmd = new Command("elementwise", "A/B in one process: the previous sigmoid, LeakyReLU and unfused batch norm + activation against the current ones, at the gan32 batch-32 shapes")
{
    elementwiseRounds,
};
elementwiseCmd.SetAction(parse =>
{
    ElementwiseBench.Run(parse.GetValue(elementwiseRounds), Console.Out);
    return 0;
});
root.Subcommands.Add(elementwiseCmd);

return root.Parse(args).Invoke();
