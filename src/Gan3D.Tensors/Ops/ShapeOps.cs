namespace Gan3D.Tensors;

public static partial class Ops
{
    /// <summary>The same values with another shape (no copy); one extent may be −1 and is inferred.</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        var target = InferShape(x, shape);
        var y = x.View(target);
        return Autograd.Record(y, new ReshapeFunction(), x);
    }

    /// <summary>Keeps axes before <paramref name="startDim"/> and folds the rest into one: (N, C, D, H, W) → (N, C·D·H·W).</summary>
    public static Tensor Flatten(Tensor x, int startDim = 1)
    {
        if (startDim < 0 || startDim >= Math.Max(x.Rank, 1))
        {
            throw new ArgumentException($"Flatten: start axis {startDim} is out of range for {x.Shape}");
        }
        var dims = new int[startDim + 1];
        for (int i = 0; i < startDim; i++)
        {
            dims[i] = x.Shape[i];
        }
        dims[startDim] = checked((int)x.Shape.SizeFrom(startDim));
        return Reshape(x, dims);
    }

    private static Shape InferShape(Tensor x, int[] shape)
    {
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (unknown >= 0)
                {
                    throw new ArgumentException($"Reshape: only one extent may be -1 in ({string.Join(", ", shape)})");
                }
                unknown = i;
            }
            else if (shape[i] < 0)
            {
                throw new ArgumentException($"Reshape: negative extent in ({string.Join(", ", shape)})");
            }
            else
            {
                known *= shape[i];
            }
        }
        var dims = (int[])shape.Clone();
        if (unknown >= 0)
        {
            if (known == 0 || x.Numel % known != 0)
            {
                throw new ArgumentException($"Reshape: cannot infer the -1 in ({string.Join(", ", shape)}) for {x.Shape}");
            }
            dims[unknown] = checked((int)(x.Numel / known));
        }
        var s = new Shape(dims);
        if (s.Numel != x.Numel)
        {
            throw new ArgumentException($"Reshape: {x.Shape} ({x.Numel} elements) cannot become {s} ({s.Numel} elements)");
        }
        return s;
    }

    /// <summary>Joins tensors that agree on every axis but <paramref name="axis"/>.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int axis)
    {
        const string op = "Concat";
        if (tensors.Count == 0)
        {
            throw new ArgumentException($"{op}: nothing to concatenate");
        }
        var first = tensors[0];
        if (axis < 0)
        {
            axis += first.Rank;
        }
        if (axis < 0 || axis >= first.Rank)
        {
            throw new ArgumentException($"{op}: axis {axis} is out of range for {first.Shape}");
        }
        int total = 0;
        foreach (var t in tensors)
        {
            Check.SameBackend(op, first, t);
            bool compatible = t.Rank == first.Rank;
            for (int i = 0; compatible && i < t.Rank; i++)
            {
                compatible = i == axis || t.Shape[i] == first.Shape[i];
            }
            if (!compatible)
            {
                throw new ArgumentException($"{op}: {t.Shape} does not match {first.Shape} outside axis {axis}");
            }
            total += t.Shape[axis];
        }
        var dims = first.Shape.ToArray();
        dims[axis] = total;
        var y = Tensor.Empty(new Shape(dims), first.Backend);
        var (rows, inner) = RowsAround(y.Shape, axis);
        long offset = 0;
        var sizes = new int[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            long row = t.Shape[axis] * inner;
            first.Backend.CopyRows(t, 0, row, y, offset, total * inner, rows, row);
            offset += row;
            sizes[i] = t.Shape[axis];
        }
        return Autograd.Record(y, new ConcatFunction(axis, sizes), [.. tensors]);
    }

    /// <summary>
    /// The slice [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>) of <paramref name="x"/>
    /// along <paramref name="axis"/>, as a new tensor (torch.narrow, copied); its backward writes the gradient into
    /// that slice of zeros. Concat's inverse.
    /// </summary>
    public static Tensor Narrow(Tensor x, int axis, int start, int length)
    {
        const string op = "Narrow";
        if (axis < 0)
        {
            axis += x.Rank;
        }
        if (axis < 0 || axis >= x.Rank)
        {
            throw new ArgumentException($"{op}: axis {axis} is out of range for {x.Shape}");
        }
        if (start < 0 || length < 1 || start > x.Shape[axis] - length)
        {
            throw new ArgumentException($"{op}: [{start}, {start} + {length}) is not inside axis {axis} of {x.Shape}");
        }
        var dims = x.Shape.ToArray();
        dims[axis] = length;
        var y = Tensor.Empty(new Shape(dims), x.Backend);
        var (rows, inner) = RowsAround(x.Shape, axis);
        x.Backend.CopyRows(x, start * inner, x.Shape[axis] * inner, y, 0, length * inner, rows, length * inner);
        return Autograd.Record(y, new NarrowFunction(axis, start), x);
    }

    /// <summary>How many rows come before <paramref name="axis"/> and how many elements one step along it spans.</summary>
    private static (long Rows, long Inner) RowsAround(Shape shape, int axis)
    {
        long rows = 1;
        for (int i = 0; i < axis; i++)
        {
            rows *= shape[i];
        }
        return (rows, shape.SizeFrom(axis + 1));
    }

    private sealed class NarrowFunction(int axis, int start) : Function
    {
        protected internal override void Backward(Tensor gradOutput)
        {
            var dx = Inputs[0].EmptyLike();
            var be = dx.Backend;
            be.Fill(dx, 0f);
            var (rows, inner) = RowsAround(dx.Shape, axis);
            long row = gradOutput.Shape[axis] * inner;
            be.CopyRows(gradOutput, 0, row, dx, start * inner, dx.Shape[axis] * inner, rows, row);
            Accumulate(0, dx);
        }
    }

    private sealed class ReshapeFunction : Function
    {
        protected internal override void Backward(Tensor gradOutput) =>
            Accumulate(0, gradOutput.View(Inputs[0].Shape));
    }

    private sealed class ConcatFunction(int axis, int[] sizes) : Function
    {
        protected internal override void Backward(Tensor gradOutput)
        {
            var (rows, inner) = RowsAround(gradOutput.Shape, axis);
            long total = gradOutput.Shape[axis];
            long offset = 0;
            for (int i = 0; i < sizes.Length; i++)
            {
                long row = sizes[i] * inner;
                if (NeedsGrad(i))
                {
                    var g = Inputs[i].EmptyLike();
                    g.Backend.CopyRows(gradOutput, offset, total * inner, g, 0, row, rows, row);
                    Accumulate(i, g);
                }
                offset += row;
            }
        }
    }
}
