namespace Gan3D.Tensors;

/// <summary>
/// The tape: ops record a <see cref="Function"/> on their output; <see cref="Backward"/> walks the
/// graph from a scalar in reverse topological order and accumulates gradients into leaves.
/// </summary>
public static class Autograd
{
    [ThreadStatic]
    private static int t_noGradDepth;

    /// <summary>Whether ops record themselves on this thread.</summary>
    public static bool IsEnabled => t_noGradDepth == 0;

    /// <summary>Turns recording off until disposed: <c>using (Autograd.NoGrad()) { ... }</c>.</summary>
    public static NoGradScope NoGrad()
    {
        t_noGradDepth++;
        return new NoGradScope();
    }

    /// <summary>Ends a <see cref="NoGrad"/> region.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        public void Dispose() => t_noGradDepth--;
    }

    /// <summary>
    /// Links <paramref name="output"/> to <paramref name="function"/> when grad mode is on and any
    /// input requires a gradient. Returns the output for chaining.
    /// </summary>
    public static Tensor Record(Tensor output, Function function, params Tensor[] inputs)
    {
        if (!IsEnabled)
        {
            return output;
        }
        bool any = false;
        foreach (var t in inputs)
        {
            any |= t.RequiresGrad;
        }
        if (!any)
        {
            return output;
        }
        function.Inputs = inputs;
        output.GradFn = function;
        output.RequiresGrad = true;
        return output;
    }

    internal static void AccumulateGrad(Tensor target, Tensor grad)
    {
        if (!target.RequiresGrad)
        {
            grad.Dispose();
            return;
        }
        if (grad.Shape != target.Shape)
        {
            throw new InvalidOperationException(
                $"gradient of shape {grad.Shape} does not match its tensor {target.Shape}" +
                (target.GradFn is null ? "" : $" (made by {target.GradFn.Name})"));
        }
        if (target.Grad is null)
        {
            // A leaf's gradient outlives the step's scope (the optimiser reads it after backward).
            if (target.IsLeaf)
            {
                grad.Persist();
            }
            target.Grad = grad;
        }
        else
        {
            target.Backend.Axpy(1f, grad, target.Grad);
            grad.Dispose();
        }
    }

    /// <summary>
    /// Back-propagates from <paramref name="root"/>. With no <paramref name="gradient"/> the root must
    /// be a scalar and its gradient is 1. Non-leaf gradients are freed as soon as they are consumed,
    /// and the graph is released afterwards (a second backward needs a new forward).
    /// </summary>
    public static void Backward(Tensor root, Tensor? gradient = null)
    {
        if (!root.RequiresGrad)
        {
            throw new InvalidOperationException($"Backward() on tensor {root.Shape} that does not require grad (no parameter or input in its history requires it)");
        }
        if (gradient is null)
        {
            if (root.Numel != 1)
            {
                throw new InvalidOperationException($"Backward() without a gradient needs a scalar, not {root.Shape}");
            }
            gradient = Tensor.Ones(root.Shape, root.Backend);
        }
        else if (gradient.Shape != root.Shape)
        {
            throw new ArgumentException($"gradient {gradient.Shape} does not match tensor {root.Shape}");
        }
        else
        {
            var copy = gradient.EmptyLike();
            root.Backend.Copy(gradient, copy);
            gradient = copy;
        }

        var order = TopologicalOrder(root);
        AccumulateGrad(root, gradient);
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            var fn = t.GradFn!;
            var g = t.Grad;
            if (g is not null)
            {
                fn.Backward(g);
                g.Dispose();
                t.Grad = null;
            }
            t.GradFn = null;
            fn.Inputs = [];
        }
    }

    /// <summary>Non-leaf tensors reachable from root, each after all of its inputs.</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Node, int Next)>();
        if (root.GradFn is null)
        {
            return order;
        }
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            var inputs = node.GradFn!.Inputs;
            if (next < inputs.Length)
            {
                stack.Push((node, next + 1));
                var child = inputs[next];
                if (child.GradFn is not null && child.RequiresGrad && visited.Add(child))
                {
                    stack.Push((child, 0));
                }
            }
            else
            {
                order.Add(node);
            }
        }
        return order;
    }
}
