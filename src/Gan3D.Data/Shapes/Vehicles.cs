using System.Numerics;

namespace Gan3D.Data.Shapes;

/// <summary>Airplanes and cars, nose towards −y, +Z up.</summary>
internal static class Vehicles
{
    private static Vector3 V(float x, float y, float z) => new(x, y, z);

    private static Vector2 P(float a, float b) => new(a, b);

    public static ShapeBuilder Airplane(ShapeRandom rng)
    {
        var s = new ShapeBuilder();
        bool fighter = rng.Chance(0.2f);
        float radius = rng.Range(0.04f, 0.075f);
        float nose = rng.Range(0.08f, 0.16f), tail = rng.Range(0.18f, 0.3f);
        // Fuselage: rounded nose, cylindrical body, tail cone rising to the fin.
        float y0 = -0.5f + nose, y1 = 0.5f - tail;
        s.Add(new Ellipsoid(V(0, y0, 0), V(radius, nose, radius)));
        s.Add(Frustum.Cylinder(V(0, y0, 0), V(0, y1, 0), radius));
        s.Add(new Frustum(V(0, y1, 0), V(0, 0.5f, radius * 0.5f), radius, radius * 0.25f));
        float span = fighter ? rng.Range(0.45f, 0.7f) : rng.Range(0.8f, 1.25f);
        float wingZ = fighter ? 0 : radius * rng.Range(-0.7f, 0.7f);
        float thick = rng.Range(0.015f, 0.03f);
        if (fighter)
        {
            float root = rng.Range(-0.15f, 0.05f);
            foreach (float sx in new[] { -1f, 1f })
            {
                s.Add(new Prism(2, [P(0, root), P(sx * span / 2, 0.3f), P(sx * span / 2, 0.38f), P(0, 0.4f)], wingZ - thick / 2, wingZ + thick / 2));
            }
            foreach (float sx in new[] { -1f, 1f })
            {
                float x = sx * radius * 0.6f, fh = rng.Range(0.12f, 0.2f);
                s.Add(new Prism(0, [P(0.28f, radius * 0.5f), P(0.47f, radius * 0.5f), P(0.5f, radius + fh), P(0.42f, radius + fh)], x - 0.008f, x + 0.008f));
            }
            return s;
        }
        float rootChord = rng.Range(0.15f, 0.28f), tipChord = rootChord * rng.Range(0.3f, 0.65f);
        float sweep = rng.Range(0, 0.3f), rootY = rng.Range(-0.12f, 0.05f);
        foreach (float sx in new[] { -1f, 1f })
        {
            s.Add(new Prism(2, [P(0, rootY), P(sx * span / 2, rootY + sweep), P(sx * span / 2, rootY + sweep + tipChord), P(0, rootY + rootChord)], wingZ - thick / 2, wingZ + thick / 2));
        }
        // Vertical fin.
        float finH = rng.Range(0.12f, 0.22f), finChord = rng.Range(0.12f, 0.2f);
        s.Add(new Prism(0, [P(0.5f - finChord, radius * 0.4f), P(0.5f, radius * 0.4f), P(0.52f, radius * 0.4f + finH), P(0.5f - finChord * 0.35f, radius * 0.4f + finH)], -0.008f, 0.008f));
        // Horizontal stabilisers, on the fuselage or on top of the fin (T tail).
        bool tTail = rng.Chance(0.25f);
        float stabSpan = span * rng.Range(0.28f, 0.4f), stabChord = rng.Range(0.07f, 0.12f);
        float stabZ = tTail ? radius * 0.4f + finH : radius * 0.3f;
        float stabY = tTail ? 0.52f - stabChord : 0.5f - stabChord - 0.01f;
        foreach (float sx in new[] { -1f, 1f })
        {
            s.Add(new Prism(2, [P(0, stabY), P(sx * stabSpan / 2, stabY + stabChord * 0.5f), P(sx * stabSpan / 2, stabY + stabChord), P(0, stabY + stabChord)], stabZ - 0.007f, stabZ + 0.007f));
        }
        int engines = rng.Pick(0.35f, 0.45f, 0.2f) * 2; // 0, 2 or 4
        for (int n = 0; n < engines; n++)
        {
            float side = n % 2 == 0 ? -1 : 1;
            float along = n < 2 ? rng.Range(0.22f, 0.3f) : 0.42f;
            float x = side * span / 2 * along;
            float y = rootY + sweep * along - 0.05f;
            float er = rng.Range(0.025f, 0.04f);
            s.Add(Frustum.Cylinder(V(x, y - 0.06f, wingZ - er - thick / 2), V(x, y + 0.1f, wingZ - er - thick / 2), er));
        }
        return s;
    }

    public static ShapeBuilder Car(ShapeRandom rng)
    {
        var s = new ShapeBuilder();
        float len = 1, wid = rng.Range(0.38f, 0.48f), wheelR = rng.Range(0.07f, 0.1f);
        float bottom = wheelR * rng.Range(0.5f, 0.8f), bodyH = rng.Range(0.15f, 0.23f);
        int kind = rng.Pick(0.4f, 0.25f, 0.15f, 0.2f); // sedan, hatchback, pickup, van
        float top = bottom + bodyH;
        // Body: a side profile (y, z) with a sloped nose, extruded across the width.
        float noseDrop = bodyH * rng.Range(0.2f, 0.45f);
        s.Add(new Prism(0, [P(-len / 2, bottom), P(len / 2, bottom), P(len / 2, top), P(-len / 2 + 0.12f, top), P(-len / 2, top - noseDrop)], -wid / 2, wid / 2));
        float cabinH = kind == 3 ? rng.Range(0.2f, 0.3f) : rng.Range(0.12f, 0.18f);
        float cw = wid * rng.Range(0.82f, 0.94f);
        Vector2[] cabin = kind switch
        {
            0 => [P(-0.2f, top), P(0.3f, top), P(0.18f, top + cabinH), P(-0.06f, top + cabinH)],
            1 => [P(-0.18f, top), P(0.5f, top), P(0.46f, top + cabinH), P(-0.03f, top + cabinH)],
            2 => [P(-0.22f, top), P(0.08f, top), P(0.06f, top + cabinH), P(-0.1f, top + cabinH)],
            _ => [P(-0.3f, top), P(0.5f, top), P(0.5f, top + cabinH), P(-0.2f, top + cabinH)],
        };
        s.Add(new Prism(0, cabin, -cw / 2, cw / 2));
        if (kind == 2)
        {
            // Pickup bed walls.
            float wall = 0.02f, bedH = rng.Range(0.05f, 0.09f);
            s.Add(Box.FromCorners(V(-wid / 2, 0.12f, top), V(-wid / 2 + wall, len / 2, top + bedH)));
            s.Add(Box.FromCorners(V(wid / 2 - wall, 0.12f, top), V(wid / 2, len / 2, top + bedH)));
            s.Add(Box.FromCorners(V(-wid / 2, len / 2 - wall, top), V(wid / 2, len / 2, top + bedH)));
        }
        float wheelbase = rng.Range(0.28f, 0.36f), ww = rng.Range(0.05f, 0.08f);
        foreach (var (sx, sy) in new[] { (-1f, -1f), (1f, -1f), (-1f, 1f), (1f, 1f) })
        {
            float x = sx * (wid / 2 - ww / 2 + 0.01f);
            s.Add(Frustum.Cylinder(V(x - ww / 2, sy * wheelbase, wheelR), V(x + ww / 2, sy * wheelbase, wheelR), wheelR));
        }
        return s;
    }
}
