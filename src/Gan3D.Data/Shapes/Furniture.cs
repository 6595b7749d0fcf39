using System.Numerics;

namespace Gan3D.Data.Shapes;

/// <summary>Seats, tables and beds. World units are metres, +Z up, the front faces −y.</summary>
internal static class Furniture
{
    private static Vector3 V(float x, float y, float z) => new(x, y, z);

    /// <summary>A leg from the floor at <paramref name="foot"/> to <paramref name="top"/>: round or square.</summary>
    private static Solid Leg(Vector3 foot, Vector3 top, float thickness, bool round)
    {
        if (round || foot.X != top.X || foot.Y != top.Y)
        {
            return Frustum.Cylinder(foot, top, thickness * 0.5f);
        }
        return Box.FromCorners(foot - V(thickness / 2, thickness / 2, 0), top + V(thickness / 2, thickness / 2, 0));
    }

    /// <summary>A panel leaning back by <paramref name="tilt"/> radians about its bottom edge (rotation about x).</summary>
    private static Box Leaning(Vector3 bottomCenter, Vector3 size, float tilt)
    {
        var up = V(0, MathF.Sin(tilt), MathF.Cos(tilt));
        return new Box(bottomCenter + up * (size.Z * 0.5f), size, Matrix4x4.CreateRotationX(tilt));
    }

    public static ShapeBuilder Chair(ShapeRandom rng)
    {
        var s = new ShapeBuilder();
        float w = rng.Range(0.42f, 0.6f), d = rng.Range(0.40f, 0.55f), h = rng.Range(0.40f, 0.50f);
        float st = rng.Range(0.03f, 0.08f);
        int back = rng.Pick(0.42f, 0.3f, 0.16f, 0.12f); // solid, slatted, rounded, none
        int legs = rng.Pick(0.55f, 0.2f, 0.13f, 0.12f); // four, pedestal, sled, side panels
        bool arms = back != 3 && rng.Chance(0.35f);
        float armH = rng.Range(0.17f, 0.26f);
        s.Add(new Box(V(0, 0, h - st / 2), V(w, d, st)));

        // Back, leaning back by up to 15°, standing on the rear edge of the seat.
        float bh = rng.Range(0.32f, 0.58f), bt = rng.Range(0.03f, 0.07f), tilt = rng.Range(0, 0.26f);
        var backBase = V(0, d / 2 - bt / 2, h);
        if (back == 0)
        {
            s.Add(Leaning(backBase, V(w * rng.Range(0.8f, 1f), bt, bh), tilt));
        }
        else if (back == 1)
        {
            float post = rng.Range(0.03f, 0.05f);
            float rail = rng.Range(0.05f, 0.12f);
            int slats = rng.Int(2, 5);
            bool horizontal = rng.Chance(0.35f);
            foreach (float side in new[] { -1f, 1f })
            {
                s.Add(Leaning(backBase + V(side * (w / 2 - post / 2), 0, 0), V(post, bt, bh), tilt));
            }
            var up = V(0, MathF.Sin(tilt), MathF.Cos(tilt));
            s.Add(Leaning(backBase + up * (bh - rail), V(w, bt, rail), tilt));
            float inner = w - 2 * post;
            for (int n = 0; n < slats; n++)
            {
                if (horizontal)
                {
                    float z = (bh - rail) * (n + 1) / (slats + 1);
                    s.Add(Leaning(backBase + up * z, V(inner, bt * 0.8f, 0.035f), tilt));
                }
                else
                {
                    float x = -inner / 2 + inner * (n + 0.5f) / slats;
                    s.Add(Leaning(backBase + V(x, 0, 0), V(inner / slats * 0.45f, bt * 0.8f, bh - rail * 0.5f), tilt));
                }
            }
        }
        else if (back == 2)
        {
            // A back with a rounded top: a rectangle below a half ellipse, in the x–z plane.
            float bw = w * rng.Range(0.75f, 1f);
            float straight = bh * rng.Range(0.3f, 0.6f);
            var pts = new List<Vector2> { new(-bw / 2, h), new(bw / 2, h) };
            for (int n = 0; n <= 10; n++)
            {
                float a = MathF.PI * n / 10;
                pts.Add(new Vector2(bw / 2 * MathF.Cos(a), h + straight + (bh - straight) * MathF.Sin(a)));
            }
            s.Add(new Prism(1, pts.ToArray(), d / 2 - bt, d / 2));
        }

        float legTop = h - st;
        if (legs == 0)
        {
            float lt = rng.Range(0.025f, 0.05f), inset = rng.Range(0, 0.03f), splay = rng.Chance(0.3f) ? rng.Range(0.01f, 0.05f) : 0;
            bool round = rng.Chance(0.5f);
            float x = w / 2 - lt / 2 - inset, y = d / 2 - lt / 2 - inset;
            foreach (var (sx, sy) in new[] { (-1f, -1f), (1f, -1f), (-1f, 1f), (1f, 1f) })
            {
                s.Add(Leg(V(sx * (x + splay), sy * (y + splay), 0), V(sx * x, sy * y, legTop), lt, round));
            }
            if (rng.Chance(0.4f))
            {
                float z = rng.Range(0.08f, 0.2f);
                foreach (float sx in new[] { -1f, 1f })
                {
                    s.Add(new Box(V(sx * x, 0, z), V(lt * 0.7f, 2 * y, lt * 0.7f)));
                }
            }
        }
        else if (legs == 1)
        {
            float column = rng.Range(0.025f, 0.045f), foot = rng.Range(0.05f, 0.1f);
            s.Add(Frustum.Cylinder(V(0, 0, foot), V(0, 0, legTop), column));
            s.Add(new Box(V(0, 0, legTop - 0.03f), V(w * 0.4f, d * 0.4f, 0.05f)));
            if (rng.Chance(0.65f))
            {
                int spokes = rng.Int(4, 5);
                float reach = rng.Range(0.24f, 0.33f);
                for (int n = 0; n < spokes; n++)
                {
                    float a = MathF.Tau * n / spokes + MathF.PI / 2;
                    var dir = V(MathF.Cos(a), MathF.Sin(a), 0);
                    s.Add(new Capsule(V(0, 0, foot), dir * reach + V(0, 0, foot * 0.6f), 0.02f));
                    s.Add(new Ellipsoid(dir * reach + V(0, 0, 0.025f), V(0.025f, 0.025f, 0.025f)));
                }
            }
            else
            {
                s.Add(Frustum.Cylinder(V(0, 0, 0), V(0, 0, foot), rng.Range(0.2f, 0.28f)));
            }
        }
        else if (legs == 2)
        {
            float rt = rng.Range(0.02f, 0.035f), x = w / 2 - rt;
            foreach (float sx in new[] { -1f, 1f })
            {
                s.Add(new Box(V(sx * x, 0, rt / 2), V(rt, d * rng.Range(1f, 1.1f), rt)));
                s.Add(Frustum.Cylinder(V(sx * x, -d / 2 + rt, 0), V(sx * x, -d / 2 + 0.05f, legTop), rt / 2 + 0.005f));
                s.Add(Frustum.Cylinder(V(sx * x, d / 2 - rt, 0), V(sx * x, d / 2 - 0.05f, legTop), rt / 2 + 0.005f));
            }
        }
        else
        {
            float pt = rng.Range(0.03f, 0.07f);
            float top = arms ? h + armH : legTop;
            foreach (float sx in new[] { -1f, 1f })
            {
                s.Add(Box.FromCorners(V(sx * (w / 2 - pt), -d / 2, 0), V(sx * w / 2, d / 2, top)));
            }
            arms = false;
        }

        if (arms)
        {
            float aw = rng.Range(0.04f, 0.08f), at = rng.Range(0.025f, 0.05f);
            foreach (float sx in new[] { -1f, 1f })
            {
                float x = sx * (w / 2 - aw / 2);
                s.Add(new Box(V(x, 0, h + armH - at / 2), V(aw, d * 0.9f, at)));
                s.Add(Box.FromCorners(V(x - 0.015f, -d / 2 + 0.03f, h), V(x + 0.015f, -d / 2 + 0.06f, h + armH)));
            }
        }
        return s;
    }

    public static ShapeBuilder Table(ShapeRandom rng)
    {
        var s = new ShapeBuilder();
        int top = rng.Pick(0.6f, 0.25f, 0.15f); // rectangle, round, oval
        int kind = rng.Pick(0.55f, 0.3f, 0.15f); // dining, coffee, side
        float height = kind switch { 0 => rng.Range(0.7f, 0.78f), 1 => rng.Range(0.38f, 0.5f), _ => rng.Range(0.5f, 0.68f) };
        float len = kind == 2 ? rng.Range(0.45f, 0.7f) : rng.Range(0.9f, 1.8f);
        float wid = top == 1 ? len : len * rng.Range(kind == 2 ? 0.8f : 0.45f, kind == 2 ? 1f : 0.75f);
        if (top == 1 && kind != 2)
        {
            len = wid = rng.Range(0.7f, 1.2f);
        }
        float tt = rng.Range(0.03f, 0.07f);
        float under = height - tt;
        if (top == 0)
        {
            s.Add(new Box(V(0, 0, height - tt / 2), V(len, wid, tt)));
        }
        else
        {
            s.Add(new Intersection(new Ellipsoid(V(0, 0, height - tt / 2), V(len / 2, wid / 2, 10)), new Box(V(0, 0, height - tt / 2), V(len, wid, tt))));
        }
        // Trestles and end panels only suit rectangular tops.
        int legs = top == 0 ? rng.Pick(0.5f, 0.22f, 0.14f, 0.14f) : rng.Pick(0.55f, 0.45f); // four, pedestal, trestle, panels
        if (legs == 0)
        {
            float lt = rng.Range(0.035f, 0.08f), inset = rng.Range(0.02f, 0.1f);
            bool round = rng.Chance(0.5f);
            float x = len / 2 - lt / 2 - inset, y = wid / 2 - lt / 2 - inset;
            if (top != 0)
            {
                x *= 0.7f;
                y *= 0.7f;
            }
            foreach (var (sx, sy) in new[] { (-1f, -1f), (1f, -1f), (-1f, 1f), (1f, 1f) })
            {
                s.Add(Leg(V(sx * x, sy * y, 0), V(sx * x, sy * y, under), lt, round));
            }
            if (top == 0 && rng.Chance(0.5f))
            {
                float apron = rng.Range(0.06f, 0.12f);
                s.Add(Box.FromCorners(V(-x, -y - 0.01f, under - apron), V(x, -y + 0.01f, under)));
                s.Add(Box.FromCorners(V(-x, y - 0.01f, under - apron), V(x, y + 0.01f, under)));
                s.Add(Box.FromCorners(V(-x - 0.01f, -y, under - apron), V(-x + 0.01f, y, under)));
                s.Add(Box.FromCorners(V(x - 0.01f, -y, under - apron), V(x + 0.01f, y, under)));
            }
            if (rng.Chance(0.25f))
            {
                float z = rng.Range(0.08f, 0.2f);
                s.Add(Box.FromCorners(V(-x, -y, z), V(x, y, z + 0.025f)));
            }
        }
        else if (legs == 1)
        {
            float column = rng.Range(0.04f, 0.09f);
            int pedestals = top == 0 && len > 1.3f ? 2 : 1;
            for (int n = 0; n < pedestals; n++)
            {
                float x = pedestals == 1 ? 0 : (n == 0 ? -1 : 1) * len * 0.3f;
                s.Add(Frustum.Cylinder(V(x, 0, 0.03f), V(x, 0, under), column));
                if (rng.Chance(0.5f))
                {
                    s.Add(new Frustum(V(x, 0, 0), V(x, 0, rng.Range(0.03f, 0.1f)), MathF.Min(wid, len) * rng.Range(0.25f, 0.4f), column));
                }
                else
                {
                    float reach = MathF.Min(wid, len) * rng.Range(0.3f, 0.42f);
                    s.Add(new Box(V(x, 0, 0.02f), V(reach * 2, 0.05f, 0.04f)));
                    s.Add(new Box(V(x, 0, 0.02f), V(0.05f, reach * 2, 0.04f)));
                }
            }
        }
        else if (legs == 2)
        {
            float post = rng.Range(0.05f, 0.09f), x = len / 2 - rng.Range(0.08f, 0.2f);
            foreach (float sx in new[] { -1f, 1f })
            {
                s.Add(Box.FromCorners(V(sx * x - post / 2, -post, 0.04f), V(sx * x + post / 2, post, under)));
                s.Add(new Box(V(sx * x, 0, 0.025f), V(post, wid * 0.8f, 0.05f)));
                s.Add(new Box(V(sx * x, 0, under - 0.025f), V(post, wid * 0.75f, 0.05f)));
            }
            float z = rng.Range(0.12f, 0.3f);
            s.Add(new Box(V(0, 0, z), V(2 * x, 0.04f, 0.05f)));
        }
        else
        {
            float pt = rng.Range(0.04f, 0.08f), x = len / 2 - rng.Range(0, 0.06f) - pt / 2;
            foreach (float sx in new[] { -1f, 1f })
            {
                s.Add(new Box(V(sx * x, 0, under / 2), V(pt, wid * rng.Range(0.7f, 0.95f), under)));
            }
        }
        return s;
    }

    public static ShapeBuilder Sofa(ShapeRandom rng)
    {
        var s = new ShapeBuilder();
        float len = rng.Range(1.5f, 2.4f), dep = rng.Range(0.75f, 1.0f), seat = rng.Range(0.38f, 0.46f);
        float legH = rng.Chance(0.6f) ? rng.Range(0.05f, 0.14f) : 0;
        int armStyle = rng.Pick(0.1f, 0.45f, 0.45f); // none, low, high
        float armW = armStyle == 0 ? 0 : rng.Range(0.1f, 0.25f);
        float armTop = armStyle == 1 ? seat + rng.Range(0.08f, 0.18f) : seat + rng.Range(0.2f, 0.32f);
        float backT = rng.Range(0.15f, 0.28f), backTop = seat + rng.Range(0.3f, 0.5f);
        float cushion = rng.Range(0.1f, 0.17f);
        float baseTop = seat - cushion;
        float inner = len / 2 - armW;
        s.Add(Box.FromCorners(V(-inner, -dep / 2, legH), V(inner, dep / 2, baseTop)));
        s.Add(Box.FromCorners(V(-inner, dep / 2 - backT, legH), V(inner, dep / 2, backTop)));
        int seats = rng.Int(1, 3);
        float gap = 0.015f;
        for (int n = 0; n < seats; n++)
        {
            float x0 = -inner + 2 * inner * n / seats, x1 = -inner + 2 * inner * (n + 1) / seats;
            s.Add(Box.FromCorners(V(x0 + gap, -dep / 2, baseTop), V(x1 - gap, dep / 2 - backT, seat)));
        }
        if (rng.Chance(0.45f))
        {
            float bc = rng.Range(0.1f, 0.16f);
            for (int n = 0; n < seats; n++)
            {
                float x0 = -inner + 2 * inner * n / seats, x1 = -inner + 2 * inner * (n + 1) / seats;
                s.Add(Box.FromCorners(V(x0 + gap, dep / 2 - backT - bc, seat), V(x1 - gap, dep / 2 - backT, backTop - 0.04f)));
            }
        }
        if (armStyle != 0)
        {
            bool rolled = rng.Chance(0.3f);
            foreach (float sx in new[] { -1f, 1f })
            {
                float x0 = sx * len / 2, x1 = sx * inner;
                s.Add(Box.FromCorners(V(MathF.Min(x0, x1), -dep / 2, legH), V(MathF.Max(x0, x1), dep / 2, rolled ? armTop - armW / 2 : armTop)));
                if (rolled)
                {
                    float x = (x0 + x1) / 2;
                    s.Add(Frustum.Cylinder(V(x, -dep / 2, armTop - armW / 2), V(x, dep / 2, armTop - armW / 2), armW / 2));
                }
            }
        }
        if (rng.Chance(0.2f))
        {
            // Chaise longue on one side, reaching forward.
            float side = rng.Chance(0.5f) ? -1 : 1;
            float ext = rng.Range(0.45f, 0.8f), cw = MathF.Min(rng.Range(0.6f, 0.9f), inner);
            float x0 = side * inner, x1 = side * (inner - cw);
            s.Add(Box.FromCorners(V(MathF.Min(x0, x1), -dep / 2 - ext, legH), V(MathF.Max(x0, x1), -dep / 2, seat)));
        }
        if (legH > 0)
        {
            float lt = rng.Range(0.03f, 0.06f);
            bool round = rng.Chance(0.5f);
            foreach (var (sx, sy) in new[] { (-1f, -1f), (1f, -1f), (-1f, 1f), (1f, 1f) })
            {
                var p = V(sx * (len / 2 - 0.06f), sy * (dep / 2 - 0.06f), 0);
                s.Add(Leg(p, p + V(0, 0, legH), lt, round));
            }
        }
        return s;
    }

    public static ShapeBuilder Bed(ShapeRandom rng)
    {
        var s = new ShapeBuilder();
        float len = rng.Range(1.9f, 2.2f), wid = rng.Range(0.9f, 1.9f);
        float legH = rng.Chance(0.5f) ? rng.Range(0.08f, 0.2f) : 0;
        float frame = legH + rng.Range(0.12f, 0.22f), mattress = rng.Range(0.14f, 0.26f);
        s.Add(Box.FromCorners(V(-wid / 2, -len / 2, legH), V(wid / 2, len / 2, frame)));
        float inset = rng.Range(0, 0.04f);
        s.Add(Box.FromCorners(V(-wid / 2 + inset, -len / 2 + inset, frame), V(wid / 2 - inset, len / 2 - 0.02f, frame + mattress)));
        float headT = rng.Range(0.04f, 0.09f), headH = rng.Range(0.75f, 1.25f);
        bool roundHead = rng.Chance(0.4f);
        if (roundHead)
        {
            var pts = new List<Vector2> { new(-wid / 2, 0), new(wid / 2, 0) };
            float straight = headH * rng.Range(0.55f, 0.8f);
            for (int n = 0; n <= 12; n++)
            {
                float a = MathF.PI * n / 12;
                pts.Add(new Vector2(wid / 2 * MathF.Cos(a), straight + (headH - straight) * MathF.Sin(a)));
            }
            s.Add(new Prism(1, pts.ToArray(), len / 2, len / 2 + headT));
        }
        else
        {
            s.Add(Box.FromCorners(V(-wid / 2, len / 2, 0), V(wid / 2, len / 2 + headT, headH)));
        }
        if (rng.Chance(0.5f))
        {
            float footH = frame + mattress + rng.Range(-0.05f, 0.25f);
            s.Add(Box.FromCorners(V(-wid / 2, -len / 2 - headT, 0), V(wid / 2, -len / 2, footH)));
        }
        if (rng.Chance(0.6f))
        {
            int pillows = wid > 1.3f ? 2 : 1;
            for (int n = 0; n < pillows; n++)
            {
                float x = pillows == 1 ? 0 : (n == 0 ? -1 : 1) * wid / 4;
                s.Add(new Ellipsoid(V(x, len / 2 - 0.25f, frame + mattress), V(wid / pillows * 0.38f, 0.17f, 0.07f)));
            }
        }
        if (legH > 0)
        {
            foreach (var (sx, sy) in new[] { (-1f, -1f), (1f, -1f), (-1f, 1f), (1f, 1f) })
            {
                var p = V(sx * (wid / 2 - 0.05f), sy * (len / 2 - 0.05f), 0);
                s.Add(Leg(p, p + V(0, 0, legH), 0.06f, false));
            }
        }
        return s;
    }

    public static ShapeBuilder Bench(ShapeRandom rng)
    {
        var s = new ShapeBuilder();
        float len = rng.Range(1.0f, 1.9f), dep = rng.Range(0.3f, 0.45f), h = rng.Range(0.4f, 0.48f), st = rng.Range(0.035f, 0.07f);
        bool slats = rng.Chance(0.35f);
        if (slats)
        {
            int n = rng.Int(3, 5);
            for (int i = 0; i < n; i++)
            {
                float y0 = -dep / 2 + dep * i / n, y1 = -dep / 2 + dep * (i + 1) / n - 0.02f;
                s.Add(Box.FromCorners(V(-len / 2, y0, h - st), V(len / 2, y1, h)));
            }
        }
        else
        {
            s.Add(new Box(V(0, 0, h - st / 2), V(len, dep, st)));
        }
        int legs = rng.Pick(0.4f, 0.35f, 0.25f); // panels, four legs, A-frames
        float x = len / 2 - rng.Range(0.05f, 0.18f);
        if (legs == 0)
        {
            float pt = rng.Range(0.04f, 0.08f);
            foreach (float sx in new[] { -1f, 1f })
            {
                s.Add(new Box(V(sx * x, 0, (h - st) / 2), V(pt, dep * rng.Range(0.8f, 1f), h - st)));
            }
        }
        else if (legs == 1)
        {
            float lt = rng.Range(0.035f, 0.06f);
            bool round = rng.Chance(0.5f);
            foreach (var (sx, sy) in new[] { (-1f, -1f), (1f, -1f), (-1f, 1f), (1f, 1f) })
            {
                var p = V(sx * x, sy * (dep / 2 - lt), 0);
                s.Add(Leg(p, p + V(0, 0, h - st), lt, round));
            }
            s.Add(new Box(V(0, 0, rng.Range(0.1f, 0.2f)), V(2 * x, 0.03f, 0.04f)));
        }
        else
        {
            float lt = rng.Range(0.035f, 0.055f), spread = dep * 0.45f;
            foreach (float sx in new[] { -1f, 1f })
            {
                s.Add(Frustum.Cylinder(V(sx * x, -spread, 0), V(sx * x, -0.02f, h - st), lt / 2));
                s.Add(Frustum.Cylinder(V(sx * x, spread, 0), V(sx * x, 0.02f, h - st), lt / 2));
            }
        }
        if (rng.Chance(0.35f))
        {
            // Park-bench back: posts and two or three rails, leaning back.
            float tilt = rng.Range(0.05f, 0.3f), bh = rng.Range(0.3f, 0.45f);
            var up = V(0, MathF.Sin(tilt), MathF.Cos(tilt));
            var baseAt = V(0, dep / 2 - 0.02f, h);
            foreach (float sx in new[] { -1f, 1f })
            {
                s.Add(Leaning(baseAt + V(sx * x, 0, 0), V(0.05f, 0.04f, bh), tilt));
            }
            int rails = rng.Int(2, 3);
            for (int i = 0; i < rails; i++)
            {
                s.Add(Leaning(baseAt + up * (bh * (i + 1) / rails - 0.07f), V(len, 0.03f, 0.07f), tilt));
            }
        }
        return s;
    }
}
