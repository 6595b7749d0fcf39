using System.Globalization;
using System.Text;

namespace Gan3D.Data;

/// <summary>A grid read from a <c>.binvox</c> file, with the normalisation the file records.</summary>
/// <param name="Grid">The voxels, in Gan3D's axes (see <see cref="VoxelGrid"/>).</param>
/// <param name="Translate">The header's <c>translate</c> (0, 0, 0 when absent).</param>
/// <param name="Scale">The header's <c>scale</c> (1 when absent).</param>
public sealed record BinvoxData(VoxelGrid Grid, float[] Translate, float Scale);

/// <summary>
/// The <c>.binvox</c> format (binvox, viewvox, ShapeNet, the original 3D-GAN data): an ASCII header
/// (<c>#binvox 1</c>, <c>dim D D D</c>, optional <c>translate tx ty tz</c> and <c>scale s</c>, then
/// <c>data</c>) followed by run-length pairs of bytes (value, count 1..255). Voxels are stored with
/// index x·D² + z·D + y (y fastest), where (x, y, z) are the mesh axes; Gan3D's (i, j, k) is (x, y, z),
/// so a ModelNet binvox and the ModelNet <c>.npy</c> agree. Version 2 files (values 0..255) read as
/// occupied where non-zero.
/// </summary>
public static class BinvoxFile
{
    /// <summary>Reads a binvox file (cubic grids up to <see cref="VoxelGrid.MaxResolution"/>).</summary>
    public static BinvoxData Read(string path)
    {
        using var stream = DataFile.Open(path, out long fileLength);
        int lineNo = 0;
        string first = ReadHeaderLine(stream, path, ref lineNo);
        if (first is not ("#binvox 1" or "#binvox 2"))
        {
            throw DataFile.Error(path, first.StartsWith("#binvox", StringComparison.Ordinal)
                ? $"binvox version '{first[7..].Trim()}' is not supported (1 and 2 are)"
                : "not a binvox file (it does not start with '#binvox 1')", first.StartsWith("#binvox", StringComparison.Ordinal) ? 1 : 0);
        }
        int dim = -1;
        float[] translate = [0, 0, 0];
        float scale = 1;
        while (true)
        {
            string line = ReadHeaderLine(stream, path, ref lineNo);
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0 || parts[0].StartsWith('#'))
            {
                continue;
            }
            if (parts[0] == "data")
            {
                break;
            }
            switch (parts[0])
            {
                case "dim":
                    if (parts.Length != 4)
                    {
                        throw DataFile.Error(path, "'dim' needs three sizes", lineNo);
                    }
                    var d = parts.Skip(1).Select(p => ParseInt(p, path, lineNo)).ToArray();
                    if (d[0] != d[1] || d[1] != d[2])
                    {
                        throw DataFile.Error(path, $"dim {d[0]} {d[1]} {d[2]} is not cubic; only D×D×D grids are supported", lineNo);
                    }
                    if (d[0] < 1 || d[0] > VoxelGrid.MaxResolution)
                    {
                        throw DataFile.Error(path, $"dim {d[0]} is outside 1..{VoxelGrid.MaxResolution}", lineNo);
                    }
                    dim = d[0];
                    break;
                case "translate":
                    if (parts.Length != 4)
                    {
                        throw DataFile.Error(path, "'translate' needs three numbers", lineNo);
                    }
                    translate = parts.Skip(1).Select(p => ParseFloat(p, path, lineNo)).ToArray();
                    break;
                case "scale":
                    if (parts.Length != 2)
                    {
                        throw DataFile.Error(path, "'scale' needs one number", lineNo);
                    }
                    scale = ParseFloat(parts[1], path, lineNo);
                    break;
                default:
                    throw DataFile.Error(path, $"unknown binvox header line '{Clip(line)}'", lineNo);
            }
        }
        if (dim < 0)
        {
            throw DataFile.Error(path, "the binvox header has no 'dim' line");
        }
        long voxels = (long)dim * dim * dim;
        if (fileLength >= 0)
        {
            // Each run covers at most 255 voxels and takes 2 bytes.
            long minBytes = (voxels + 254) / 255 * 2;
            long available = fileLength - stream.Position;
            if (available < minBytes)
            {
                throw DataFile.Error(path, $"truncated: dim {dim} needs at least {minBytes} bytes of run-length data, the file holds {available}");
            }
        }
        var grid = new VoxelGrid(dim);
        var cells = grid.Voxels;
        var buffer = new byte[1 << 16];
        long filled = 0;
        int pending = -1;
        int dd = dim * dim;
        while (filled < voxels)
        {
            int n = stream.Read(buffer, 0, buffer.Length);
            if (n == 0)
            {
                throw DataFile.Error(path, $"truncated: the run-length data covers {filled} of {voxels} voxels");
            }
            for (int b = 0; b < n; b++)
            {
                if (pending < 0)
                {
                    pending = buffer[b];
                    continue;
                }
                int count = buffer[b];
                byte value = pending != 0 ? (byte)1 : (byte)0;
                pending = -1;
                if (filled + count > voxels)
                {
                    throw DataFile.Error(path, $"the run-length data covers more than dim³ = {voxels} voxels");
                }
                if (value != 0)
                {
                    for (long v = filled; v < filled + count; v++)
                    {
                        // File order: x·D² + z·D + y.
                        int x = (int)(v / dd);
                        int rest = (int)(v - (long)x * dd);
                        int z = rest / dim;
                        int y = rest - z * dim;
                        cells[(x * dim + y) * dim + z] = 1;
                    }
                }
                filled += count;
                if (filled == voxels && b + 1 < n && !TrailingIsPadding(buffer.AsSpan(b + 1, n - b - 1)))
                {
                    throw DataFile.Error(path, $"the run-length data covers more than dim³ = {voxels} voxels");
                }
            }
        }
        return new BinvoxData(grid, translate, scale);
    }

    /// <summary>Writes <paramref name="grid"/> as binvox version 1, atomically.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="grid">The voxels.</param>
    /// <param name="translate">Normalisation translation for the header (0, 0, 0 when null).</param>
    /// <param name="scale">Normalisation scale for the header.</param>
    public static void Write(string path, VoxelGrid grid, ReadOnlySpan<float> translate = default, float scale = 1f)
    {
        ArgumentNullException.ThrowIfNull(grid);
        int dim = grid.Resolution;
        float[] t = translate.Length == 3 ? translate.ToArray() : [0, 0, 0];
        var header = new StringBuilder();
        header.Append("#binvox 1\n");
        header.Append(CultureInfo.InvariantCulture, $"dim {dim} {dim} {dim}\n");
        header.Append(CultureInfo.InvariantCulture, $"translate {t[0]:R} {t[1]:R} {t[2]:R}\n");
        header.Append(CultureInfo.InvariantCulture, $"scale {scale:R}\n");
        header.Append("data\n");
        var body = new List<byte>();
        var cells = grid.Array;
        int current = -1, run = 0;
        for (int x = 0; x < dim; x++)
        {
            for (int z = 0; z < dim; z++)
            {
                for (int y = 0; y < dim; y++)
                {
                    int value = cells[(x * dim + y) * dim + z] != 0 ? 1 : 0;
                    if (value == current && run < 255)
                    {
                        run++;
                        continue;
                    }
                    if (run > 0)
                    {
                        body.Add((byte)current);
                        body.Add((byte)run);
                    }
                    current = value;
                    run = 1;
                }
            }
        }
        body.Add((byte)current);
        body.Add((byte)run);
        var headerBytes = Encoding.ASCII.GetBytes(header.ToString());
        var bodyBytes = body.ToArray();
        AtomicFile.Write(path, s =>
        {
            s.Write(headerBytes);
            s.Write(bodyBytes);
        });
    }

    private static bool TrailingIsPadding(ReadOnlySpan<byte> rest) => rest.IndexOfAnyExcept((byte)0, (byte)'\n', (byte)'\r') < 0;

    private static string ReadHeaderLine(Stream stream, string path, ref int lineNo)
    {
        lineNo++;
        if (lineNo > 64)
        {
            throw DataFile.Error(path, "binvox header has no 'data' line within 64 lines");
        }
        var sb = new StringBuilder();
        while (true)
        {
            int b = stream.ReadByte();
            if (b < 0)
            {
                throw DataFile.Error(path, lineNo == 1 ? "not a binvox file (it does not start with '#binvox 1')" : "truncated binvox header (no 'data' line)", lineNo == 1 ? 0 : lineNo);
            }
            if (b == '\n')
            {
                return sb.ToString().TrimEnd('\r').Trim();
            }
            if (sb.Length >= 256 || b == 0 || b > 126)
            {
                throw DataFile.Error(path, lineNo == 1 ? "not a binvox file (it does not start with '#binvox 1')" : "binary bytes in the binvox header", lineNo == 1 ? 0 : lineNo);
            }
            sb.Append((char)b);
        }
    }

    private static int ParseInt(string s, string path, int line) =>
        int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw DataFile.Error(path, $"'{Clip(s)}' is not an integer size", line);

    private static float ParseFloat(string s, string path, int line) =>
        float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && float.IsFinite(v)
            ? v
            : throw DataFile.Error(path, $"'{Clip(s)}' is not a finite number", line);

    private static string Clip(string s) => s.Length > 40 ? s[..40] + "..." : s;
}
