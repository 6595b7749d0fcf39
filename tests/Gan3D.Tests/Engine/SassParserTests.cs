using Gan3D.Bench.Sass;

namespace Gan3D.Tests.Engine;

/// <summary>
/// The parser behind gan3d-bench sass (bench/gpu/sass.sh), on real ptxas 12.4 / cuobjdump output kept in
/// Engine/Sass and on small hand-written listings whose counts are known.
/// </summary>
public sealed class SassParserTests
{
    private static string Sample(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Engine", "Sass", name));

    [Fact]
    public void CountsMatMulKernelOneLoopBody()
    {
        var f = Assert.Single(SassParser.ParseCuobjdump(Sample("matmul1-sm90.sass")));
        Assert.Equal("Kernel_MatMulKernel1", f.Name);
        // 0x0000..0x0450 is 70 instructions; the NOP padding after the trap branch is not counted.
        Assert.Equal(70, f.Instructions);
        Assert.Equal(1, f.Ffma);
        Assert.Equal(0, f.Hmma);
        // The K loop: @!P4 BRA 0x310 at 0x420. The trap loop BRA 0x450 at 0x450 is not a loop.
        var loop = Assert.Single(f.Loops);
        Assert.Equal((0x310, 0x420), (loop.Start, loop.End));
        Assert.Equal(18, loop.Instructions);
        Assert.Equal(1, loop.Ffma);
        Assert.Equal(loop, f.HottestLoop);
    }

    [Fact]
    public void HottestLoopIsTheInnermostWithTheMostFfma()
    {
        // An outer loop 0x10..0xa0 holding an inner loop 0x30..0x60 (2 FFMA), and a later loop 0xb0..0xc0
        // with one FFMA; predicates and modifiers stripped, a .reuse operand and a BRA.U ignored as forward.
        const string listing = """
                Function : k
            .headerflags @"EF_CUDA_SM90"
                /*0000*/                   MOV R1, c[0x0][0x28] ;       /* 0x0 */
                /*0010*/                   LDS.U.128 R4, [R2] ;         /* 0x0 */
                /*0020*/               @P1 BRA.U 0x90 ;                 /* 0x0 */
                /*0030*/                   FFMA.FTZ R8, R4.reuse, R5, R8 ;   /* 0x0 */
                /*0040*/                   FFMA R9, R4, R6, R9 ;        /* 0x0 */
                /*0050*/                   HMMA.1688.F32.TF32 R12, R4, R6, R12 ;   /* 0x0 */
                /*0060*/              @!P0 BRA 0x30 ;                   /* 0x0 */
                /*0070*/                   IADD3 R2, R2, 0x4, RZ ;      /* 0x0 */
                /*0080*/                   ISETP.NE.AND P2, PT, R2, RZ, PT ;   /* 0x0 */
                /*0090*/                   NOP ;                        /* 0x0 */
                /*00a0*/              @UP2 BRA 0x10 ;                   /* 0x0 */
                /*00b0*/                   FFMA R9, R4, R6, R9 ;        /* 0x0 */
                /*00c0*/               @PT BRA 0xb0 ;                   /* 0x0 */
                /*00d0*/                   EXIT ;                       /* 0x0 */
                /*00e0*/                   BRA 0xe0;                    /* 0x0 */
            """;
        var f = Assert.Single(SassParser.ParseCuobjdump(listing));
        Assert.Equal(14, f.Instructions);
        Assert.Equal(3, f.Ffma);
        Assert.Equal(1, f.Hmma);
        Assert.Equal(3, f.Loops.Count);
        var hot = f.HottestLoop!;
        Assert.Equal((0x30, 0x60, 4, 2, 1), (hot.Start, hot.End, hot.Instructions, hot.Ffma, hot.Hmma));
        var outer = f.Loops.Single(l => l.Start == 0x10);
        Assert.Equal((9, 2), (outer.Instructions, outer.Ffma));
    }

    [Fact]
    public void ListingWithSeveralFunctionsKeepsThemApart()
    {
        const string listing = """
                Function : a
                /*0000*/                   FFMA R1, R2, R3, R1 ;
                /*0010*/                   EXIT ;
                Function : b
                /*0000*/                   EXIT ;
            """;
        var functions = SassParser.ParseCuobjdump(listing);
        Assert.Equal(["a", "b"], functions.Select(f => f.Name));
        Assert.Equal([1, 0], functions.Select(f => f.Ffma));
        Assert.Null(functions[1].HottestLoop);
    }

    [Fact]
    public void PtxasInfoOfAnEntryWithCallees()
    {
        var info = SassParser.ParsePtxas(Sample("klpartial-ptxas.txt"), "Kernel_KlPartialKernel");
        Assert.Equal(new PtxasInfo(Registers: 44, SpillBytes: 0, SharedBytes: 0, StackBytes: 64), info);
    }

    [Fact]
    public void PtxasSpillsOfCalleesCountAndSharedMemoryIsRead()
    {
        const string log = """
            ptxas info    : 0 bytes gmem
            ptxas info    : Compiling entry function 'Kernel_X' for 'sm_90'
            ptxas info    : Function properties for Kernel_X
                8 bytes stack frame, 4 bytes spill stores, 4 bytes spill loads
            ptxas info    : Used 255 registers, 4224 bytes smem, 384 bytes cmem[0]
            ptxas info    : Function properties for Helper_1
                16 bytes stack frame, 12 bytes spill stores, 8 bytes spill loads
            """;
        Assert.Equal(new PtxasInfo(255, 28, 4224, 8), SassParser.ParsePtxas(log, "Kernel_X"));
        Assert.Throws<FormatException>(() => SassParser.ParsePtxas(log, "Kernel_Y"));
    }

    [Theory]
    [InlineData("12.4.131", "8.4")]
    [InlineData("12.0.76", "8.0")]
    [InlineData("12.6.20", "8.5")]
    [InlineData("12.9.41", "8.8")]
    [InlineData("13.0.48", "8.8")]
    public void PtxIsaAcceptedByEachPtxas(string ptxas, string isa) => Assert.Equal(isa, SassParser.PtxIsaFor(ptxas));
}
