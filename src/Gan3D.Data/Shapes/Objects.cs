using System.Numerics;

namespace Gan3D.Data.Shapes;

/// <summary>Lamps, vessels, monitors and bathtubs. World units are metres, +Z up, the front faces −y.</summary>
internal static class Objects
{
    private static Vector3 V(float x, float y, float z) => new(x, y, z);

    /// <summary>A smooth profile through control radii at evenly spaced heights (Catmull-Rom), sampled n times.</summary>
    private static float[] Profile(float[] control, int samples)
    {
        var result = new float[samples];
        int segments = control.Length - 1;
        for (int s = 0; s < samples; s++)
        {
            float t = (float)s / (samples - 1) * segments;
            int i = Math.Min((int)t, segments - 1);
            float f = t - i;
            float p0 = control[Math.Max(i - 1, 0)], p1 = control[i], p2 = control[i + 1], p3 = control[Math.Min(i + 2, segments)];
            result[s] = 0.5f * (2 * p1 + (-p0 + p2) * f + (2 * p0 - 5 * p1 + 4 * p2 - p3) * f * f + (-p0 + 3 * p1 - 3 * p2 + p3) * f * f * f);
            result[s] = MathF.Max(result[s], 0.01f);
        }
        return result;
    }

    public static ShapeBuilder Lamp(ShapeRandom rng)
    {
        var s = new ShapeBuilder();
        int kind = rng.Pick(0.35f, 0.35f, 0.3f); // floor, table, desk arm
        if (kind == 0)
        {
            float height = rng.Range(1.3f, 1.8f), pole = rng.Range(0.012f, 0.022f);
            if (rng.Chance(0.3f))
            {
                // Tripod.
                float spread = rng.Range(0.18f, 0.3f), joint = rng.Range(0.35f, 0.6f);
                for (int n = 0; n < 3; n++)
                {
                    float a = MathF.Tau * n / 3 + MathF.PI / 2;
                    s.Add(Frustum.Cylinder(V(spread * MathF.Cos(a), spread * MathF.Sin(a), 0), V(0, 0, joint), pole));
                }
                s.Add(Frustum.Cylinder(V(0, 0, joint), V(0, 0, height), pole));
            }
            else
            {
                s.Add(Frustum.Cylinder(V(0, 0, 0), V(0, 0, rng.Range(0.02f, 0.05f)), rng.Range(0.12f, 0.2f)));
                s.Add(Frustum.Cylinder(V(0, 0, 0), V(0, 0, height), pole));
            }
            float sh = rng.Range(0.2f, 0.36f), rb = rng.Range(0.16f, 0.26f), rt = rb * rng.Range(0.45f, 0.95f);
            float z0 = height - sh * rng.Range(0.5f, 0.8f);
            s.Add(new Frustum(V(0, 0, z0), V(0, 0, z0 + sh), rb, rt, 0.01f));
            s.Add(Frustum.Cylinder(V(0, 0, z0 + sh * 0.5f), V(0, 0, z0 + sh * 0.6f), rt * 0.25f));
        }
        else if (kind == 1)
        {
            float bodyH = rng.Range(0.22f, 0.4f), bodyR = rng.Range(0.06f, 0.13f);
            int body = rng.Pick(0.4f, 0.3f, 0.3f); // vase, cylinder, ball
            if (body == 0)
            {
                var control = new[] { bodyR * 0.8f, bodyR * rng.Range(1f, 1.3f), bodyR, bodyR * 0.35f };
                s.Add(new Lathe(0, 0, 0, bodyH, Profile(control, 24)));
            }
            else if (body == 1)
            {
                s.Add(Frustum.Cylinder(V(0, 0, 0), V(0, 0, bodyH), bodyR * 0.8f));
            }
            else
            {
                s.Add(Frustum.Cylinder(V(0, 0, 0), V(0, 0, 0.03f), bodyR * 0.8f));
                s.Add(new Ellipsoid(V(0, 0, bodyH * 0.5f), V(bodyR * 1.2f, bodyR * 1.2f, bodyH * 0.45f)));
            }
            float neck = rng.Range(0.08f, 0.18f);
            s.Add(Frustum.Cylinder(V(0, 0, bodyH), V(0, 0, bodyH + neck), 0.012f));
            float sh = rng.Range(0.17f, 0.3f), rb = rng.Range(0.14f, 0.24f), rt = rb * rng.Range(0.55f, 1f);
            float z0 = bodyH + neck * 0.6f;
            s.Add(new Frustum(V(0, 0, z0), V(0, 0, z0 + sh), rb, rt, 0.01f));
        }
        else
        {
            float baseR = rng.Range(0.08f, 0.13f);
            if (rng.Chance(0.5f))
            {
                s.Add(Frustum.Cylinder(V(0, 0, 0), V(0, 0, 0.03f), baseR));
            }
            else
            {
                s.Add(new Box(V(0, 0, 0.015f), V(baseR * 1.8f, baseR * 1.8f, 0.03f)));
            }
            float a1 = rng.Range(-0.45f, 0.2f), l1 = rng.Range(0.3f, 0.45f);
            float a2 = rng.Range(0.6f, 1.3f), l2 = rng.Range(0.25f, 0.4f);
            var j0 = V(0, 0, 0.03f);
            var j1 = j0 + V(0, MathF.Sin(a1), MathF.Cos(a1)) * l1;
            var j2 = j1 + V(0, -MathF.Sin(a2), MathF.Cos(a2) * 0.3f) * l2;
            s.Add(Frustum.Cylinder(j0, j1, 0.012f));
            s.Add(Frustum.Cylinder(j1, j2, 0.012f));
            s.Add(new Ellipsoid(j1, V(0.02f, 0.02f, 0.02f)));
            var dir = Vector3.Normalize(V(0, -rng.Range(0.2f, 0.8f), -1));
            float sh = rng.Range(0.12f, 0.2f);
            s.Add(new Frustum(j2 - dir * 0.02f, j2 + dir * sh, rng.Range(0.03f, 0.05f), rng.Range(0.08f, 0.13f), 0.008f));
        }
        return s;
    }

    public static ShapeBuilder Vase(ShapeRandom rng)
    {
        var s = new ShapeBuilder();
        float height = 1, widen = rng.Range(0.55f, 1.35f);
        int kind = rng.Pick(0.4f, 0.3f, 0.3f); // bellied, tall bottle, bowl-like open
        float[] control = kind switch
        {
            0 => [rng.Range(0.12f, 0.22f), rng.Range(0.28f, 0.4f), rng.Range(0.22f, 0.34f), rng.Range(0.1f, 0.16f), rng.Range(0.13f, 0.2f)],
            1 => [rng.Range(0.12f, 0.18f), rng.Range(0.16f, 0.22f), rng.Range(0.14f, 0.2f), rng.Range(0.06f, 0.09f), rng.Range(0.06f, 0.1f)],
            _ => [rng.Range(0.12f, 0.18f), rng.Range(0.22f, 0.3f), rng.Range(0.3f, 0.38f), rng.Range(0.34f, 0.42f)],
        };
        if (kind == 2)
        {
            height = rng.Range(0.5f, 0.8f);
        }
        for (int i = 0; i < control.Length; i++)
        {
            control[i] *= widen;
        }
        s.Add(new Lathe(0, 0, 0, height, Profile(control, 40), 0.025f, 0.05f));
        if (kind != 2 && rng.Chance(0.3f))
        {
            // Two handles near the neck (amphora).
            float z = height * rng.Range(0.55f, 0.75f);
            float r = control[^2] * 1.1f;
            foreach (float sx in new[] { -1f, 1f })
            {
                s.Add(new Torus(V(sx * r, 0, z), Vector3.UnitY, height * 0.12f, 0.02f, V(sx, 0, 0)));
            }
        }
        return s;
    }

    public static ShapeBuilder Mug(ShapeRandom rng)
    {
        var s = new ShapeBuilder();
        float r = 0.4f, height = rng.Range(0.65f, 1.25f), taper = rng.Range(0.95f, 1.2f);
        s.Add(new Lathe(0, 0, 0, height, [r, r * (1 + taper) / 2, r * taper], rng.Range(0.04f, 0.07f), 0.07f));
        float major = height * rng.Range(0.2f, 0.3f), minor = rng.Range(0.035f, 0.06f);
        float zc = height * rng.Range(0.45f, 0.6f);
        // The handle is on the left (−x), where the default three-quarter view shows it.
        float x = -r * (1 + taper) / 2 * 0.95f;
        s.Add(new Torus(V(x, 0, zc), Vector3.UnitY, major, minor, V(-1, 0, 0)));
        if (rng.Chance(0.25f))
        {
            s.Add(Frustum.Cylinder(V(0, 0, -0.04f), V(0, 0, 0), r * rng.Range(1.4f, 1.7f)));
        }
        return s;
    }

    public static ShapeBuilder Monitor(ShapeRandom rng)
    {
        var s = new ShapeBuilder();
        float w = rng.Range(0.45f, 0.7f), h = w * rng.Range(0.55f, 0.78f), t = rng.Range(0.02f, 0.05f);
        float lift = rng.Range(0.08f, 0.2f);
        s.Add(Box.FromCorners(V(-w / 2, -t / 2, lift), V(w / 2, t / 2, lift + h)));
        if (rng.Chance(0.2f))
        {
            // Old CRT: a deep back tapering away from the screen.
            float deep = w * rng.Range(0.5f, 0.8f);
            var pts = new[] { new Vector2(t / 2, lift), new Vector2(t / 2, lift + h), new Vector2(deep, lift + h * 0.8f), new Vector2(deep, lift + h * 0.12f) };
            s.Add(new Prism(0, pts, -w * 0.42f, w * 0.42f));
        }
        int stand = rng.Pick(0.45f, 0.35f, 0.2f); // plate, disc, V feet
        float neckW = rng.Range(0.04f, 0.09f), back = t / 2 + 0.03f;
        s.Add(Box.FromCorners(V(-neckW / 2, back - 0.015f, 0.01f), V(neckW / 2, back + 0.015f, lift + h * 0.45f)));
        if (stand == 0)
        {
            s.Add(new Box(V(0, back - 0.02f, 0.012f), V(w * rng.Range(0.3f, 0.5f), rng.Range(0.15f, 0.24f), 0.024f)));
        }
        else if (stand == 1)
        {
            s.Add(Frustum.Cylinder(V(0, back - 0.02f, 0), V(0, back - 0.02f, 0.02f), rng.Range(0.09f, 0.14f)));
        }
        else
        {
            float spread = rng.Range(0.12f, 0.2f);
            foreach (float sx in new[] { -1f, 1f })
            {
                s.Add(new Capsule(V(0, back, 0.012f), V(sx * spread, back - 0.14f, 0.012f), 0.012f));
            }
        }
        return s;
    }

    public static ShapeBuilder Bathtub(ShapeRandom rng)
    {
        var s = new ShapeBuilder();
        float len = rng.Range(1.4f, 1.8f), wid = rng.Range(0.65f, 0.85f), h = rng.Range(0.42f, 0.6f);
        float wall = rng.Range(0.05f, 0.1f);
        int kind = rng.Pick(0.45f, 0.3f, 0.25f); // built-in box, freestanding oval, clawfoot
        if (kind == 0)
        {
            s.Add(new Box(V(0, 0, h / 2), V(len, wid, h)));
        }
        else
        {
            // The lower half of an ellipsoid, clipped at the rim.
            float lift = kind == 2 ? rng.Range(0.1f, 0.16f) : 0;
            float depth = h - lift;
            s.Add(new Intersection(new Ellipsoid(V(0, 0, h), V(len / 2, wid / 2, depth * rng.Range(1f, 1.3f))), Box.FromCorners(V(-len / 2, -wid / 2, lift), V(len / 2, wid / 2, h))));
            if (kind == 2)
            {
                foreach (var (sx, sy) in new[] { (-1f, -1f), (1f, -1f), (-1f, 1f), (1f, 1f) })
                {
                    var p = V(sx * len * 0.33f, sy * wid * 0.25f, 0);
                    s.Add(new Frustum(p, p + V(0, 0, lift + 0.05f), 0.03f, 0.045f));
                }
            }
            else
            {
                s.Add(new Intersection(new Ellipsoid(V(0, 0, h * 0.2f), V(len * 0.4f, wid * 0.38f, h * 0.2f)), Box.FromCorners(V(-len, -wid, 0), V(len, wid, h * 0.2f))));
            }
        }
        float cavityDepth = h - rng.Range(0.06f, 0.1f);
        s.Carve(new Ellipsoid(V(0, 0, h), V(len / 2 - wall, wid / 2 - wall, cavityDepth)));
        if (rng.Chance(0.5f))
        {
            float x = (rng.Chance(0.5f) ? -1 : 1) * (len / 2 - wall * 0.5f);
            s.Add(new Capsule(V(x, 0, h), V(x - MathF.Sign(x) * 0.08f, 0, h + 0.1f), 0.015f));
        }
        return s;
    }
}
