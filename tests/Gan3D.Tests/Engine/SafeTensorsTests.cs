using System.Buffers.Binary;
using System.Text;
using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Tests.Engine;

public sealed class SafeTensorsTests : IDisposable
{
    private static readonly IBackend Be = new CpuBackend(threads: 1);
    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [Fact]
    public void RoundTripKeepsEveryTensorAndTheMetadata()
    {
        var gen = new Rng(11);
        var model = new Sequential(Be, new Conv3d(2, 3, 3, backend: Be, rng: gen), new BatchNorm3d(3, backend: Be));
        model.Forward(gen.Uniform(new Shape(2, 2, 4, 4, 4), Be)); // moves the running statistics off their defaults
        model.Save(P("m.safetensors"), new Dictionary<string, string> { ["step"] = "42", ["config"] = "{\"a\":1}" });

        var copy = new Sequential(Be, new Conv3d(2, 3, 3, backend: Be, rng: new Rng(99)), new BatchNorm3d(3, backend: Be));
        copy.Load(P("m.safetensors"));
        foreach (var (name, t) in model.StateDict())
        {
            Assert.Equal(t.ToArray(), copy.StateDict()[name].ToArray());
        }
        var meta = SafeTensors.ReadMetadata(P("m.safetensors"));
        Assert.Equal("42", meta["step"]);
        Assert.Equal("{\"a\":1}", meta["config"]);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void LayoutFollowsTheSpecification()
    {
        var t = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], new Shape(2, 3), Be);
        var u = Tensor.FromArray([7f], new Shape(1), Be);
        SafeTensors.Save(P("x.safetensors"), new Dictionary<string, Tensor> { ["b"] = t, ["a"] = u });
        var bytes = File.ReadAllBytes(P("x.safetensors"));
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + n) % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n).TrimEnd();
        Assert.Equal("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[4,28]}}", header);
        Assert.Equal(7f, BitConverter.ToSingle(bytes, 8 + (int)n));
        Assert.Equal(6f, BitConverter.ToSingle(bytes, 8 + (int)n + 4 + 5 * 4));
        Assert.Equal(8 + n + 28, bytes.Length);
    }

    [Fact]
    public void ReadsOtherDTypes()
    {
        // F64 [1.5, -2], BF16 [1.0] (0x3F80), F16 [0.5] (0x3800), written by hand as another tool would.
        string header = "{\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[16,18]},\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[18,20]}}";
        var data = new List<byte>();
        data.AddRange(BitConverter.GetBytes(1.5));
        data.AddRange(BitConverter.GetBytes(-2.0));
        data.AddRange([0x80, 0x3F, 0x00, 0x38]);
        WriteRaw("o.safetensors", header, data.ToArray());
        var f = SafeTensors.Load(P("o.safetensors"));
        Assert.Equal([1.5f, -2f], f.Tensors["d"].Data);
        Assert.Equal([1f], f.Tensors["b"].Data);
        Assert.Equal([0.5f], f.Tensors["h"].Data);
    }

    private void WriteRaw(string name, string header, byte[] data, ulong? declared = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declared ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        File.WriteAllBytes(P(name), bytes);
    }

    public static TheoryData<string, string, int, ulong, string> Corruptions => new()
    {
        { "empty", "", 0, 0, "too short" },
        { "huge header", "{}", 0, ulong.MaxValue, "truncated" },
        { "not json", "{\"a\":", 4, 0, "not valid JSON" },
        { "not object", "[1,2]", 0, 0, "not a JSON object" },
        { "bad dtype", "{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, 0, "dtype I64" },
        { "size mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, 0, "needs 12 bytes" },
        { "truncated data", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, 0, "truncated" },
        { "gap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, 0, "expected 0" },
        { "negative extent", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, 0, "invalid shape" },
        { "missing fields", "{\"a\":{\"dtype\":\"F32\"}}", 0, 0, "needs dtype" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void CorruptFilesGiveAClearErrorNamingTheFile(string name, string header, int dataBytes, ulong declared, string expected)
    {
        string file = name.Replace(' ', '-') + ".safetensors";
        if (name == "empty")
        {
            File.WriteAllBytes(P(file), []);
        }
        else
        {
            WriteRaw(file, header, new byte[dataBytes], declared == 0 ? null : declared);
        }
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(P(file)));
        Assert.StartsWith(P(file) + ": ", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void TruncatedCheckpointOfARealModelIsRejected()
    {
        var model = new Conv3d(4, 4, 3, backend: Be, rng: new Rng(1));
        model.Save(P("c.safetensors"));
        var bytes = File.ReadAllBytes(P("c.safetensors"));
        File.WriteAllBytes(P("c.safetensors"), bytes[..(bytes.Length - 100)]);
        var ex = Assert.Throws<InvalidDataException>(() => model.Load(P("c.safetensors")));
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void LoadingIntoADifferentArchitectureNamesTheTensor()
    {
        new Conv3d(4, 8, 3, backend: Be, rng: new Rng(1)).Save(P("a.safetensors"));
        var ex = Assert.Throws<InvalidDataException>(() => new Conv3d(4, 6, 3, backend: Be).Load(P("a.safetensors")));
        Assert.Contains("'weight'", ex.Message);
        Assert.Contains("(8, 4, 3, 3, 3)", ex.Message);
    }

    [Fact]
    public void InvalidUtf8InTheHeaderIsAClearErrorNamingTheFile()
    {
        // A metadata string with a lone continuation byte: the JSON parser accepts it and .NET only
        // fails when the string is read, with a transcoding message that names no file.
        var json = Encoding.ASCII.GetBytes("{\"__metadata__\":{\"config\":\"ab\u0001\"}}");
        json[Array.IndexOf(json, (byte)1)] = 0x80;
        var bytes = new byte[8 + json.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        File.WriteAllBytes(P("u.safetensors"), bytes);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.ReadMetadata(P("u.safetensors")));
        Assert.StartsWith(P("u.safetensors") + ": header is not valid UTF-8", ex.Message);
        Assert.Contains($"byte {8 + Array.IndexOf(json, (byte)0x80)}", ex.Message);
    }

    [Fact]
    public void AFolderIsNotAFile()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(_dir));
        Assert.Equal($"{_dir}: is a folder, not a file", ex.Message);
    }
}
