using System.Globalization;

namespace Engine.Methods.Evaluation.Testbed.Families;

/// <summary>
/// Date arithmetic: the date k days after a date. Difficulty 1: within the month; 2: across one or two months;
/// 3: across a year end (leap years included). Steps add the days, then subtract month lengths.
/// </summary>
public sealed class DateFamily : TaskFamily
{
    public override string Name => "date_calc";
    public override string Domain => "math";
    public override string Description => "date arithmetic (days after a date, month and year ends, leap years)";
    public override CdtTags Tags { get; } = MakeTags(["NM", "RG"], "Mathematics", "Closed Book QA");
    public override bool Matches(string expected, string extracted) => AnswerMatch.Exact(expected, extracted.TrimEnd('.'));

    private static readonly string[] Months =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    internal static string Iso(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public override TaskInstance Generate(TestbedRng rng, int difficulty)
    {
        int year = rng.Range(2001, 2030);
        int month = difficulty == 3 ? rng.Range(10, 12) : rng.Range(1, 12);
        int dim = DateTime.DaysInMonth(year, month);
        int day, k;
        switch (difficulty)
        {
            case 1: day = rng.Range(1, dim - 2); k = rng.Range(1, dim - day); break;
            case 2: day = rng.Range(1, dim); k = rng.Range(dim - day + 1, 50); break;
            default: day = rng.Range(1, dim); k = rng.Range(40, 150); break;
        }
        var start = new DateOnly(year, month, day);
        var steps = new List<string>();
        int d = day + k;
        steps.Add($"{N(day)} + {N(k)} = {N(d)}");
        int y = year, m = month;
        while (d > DateTime.DaysInMonth(y, m))
        {
            int len = DateTime.DaysInMonth(y, m);
            steps.Add($"{Months[m - 1]} {N(y)} has {N(len)} days: {N(d)} - {N(len)} = {N(d - len)}");
            d -= len;
            if (++m == 13) { m = 1; y++; }
        }
        var end = new DateOnly(y, m, d);
        steps.Add($"day {N(d)} of {Months[m - 1]} {N(y)}");
        var answer = Iso(end);
        var candidates = new List<string> { Iso(end.AddDays(1)), Iso(end.AddDays(-1)), Iso(end.AddMonths(1)), Iso(end.AddMonths(-1)), Iso(end.AddYears(1)) };
        rng.Shuffle(candidates);
        var fabDate = end.AddDays(rng.Range(3, 20) * (rng.Coin() ? 1 : -1));
        var startText = Iso(start);
        return new TaskInstance("Give the date in YYYY-MM-DD form.", $"{N(k)} days after {startText}", $"We add {N(k)} days to {startText}.",
            steps, answer, Rejected(answer, candidates), new Fabrication($"The calendar has an extra holiday week in {Months[m - 1]}.", Iso(fabDate)));
    }
}
