using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Sampling;

namespace Engine.Methods.Pruning.DRPruning;

/// <summary>Tokenised examples, each with the index of its domain in <see cref="Names"/>.</summary>
public sealed record DomainExamples(IReadOnlyList<SftExample> Examples, int[] Domains, IReadOnlyList<string> Names)
{
    /// <summary>Examples per domain, in <see cref="Names"/> order.</summary>
    public int[] Counts => Enumerable.Range(0, Names.Count).Select(d => Domains.Count(x => x == d)).ToArray();
}

/// <summary>
/// Reading a domain mixture: any SFT record the shared data layer parses (text records train every token, chat and
/// instruction records their responses) plus a string field naming its domain. Reading is this one function over the
/// shared record reader; the domain comes from the record's pass-through fields.
/// </summary>
public static class DomainRecords
{
    /// <summary>Read <paramref name="paths"/>; every record must have a non-empty string <paramref name="field"/>.</summary>
    /// <param name="names">The domain order to use (e.g. the training data's); a record of another domain is an error. Null: sorted names found.</param>
    public static DomainExamples Read(IEnumerable<string> paths, ExampleTokenizer tokenizer, IReadOnlyList<string>? names = null, string field = "domain")
    {
        var examples = new List<SftExample>();
        var domainNames = new List<string>();
        foreach (var indexed in RecordReader.Read(paths, r => r))
        {
            var r = indexed.Record;
            var domain = field == "domain" ? r.Fields.Domain : r.Value[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            if (string.IsNullOrEmpty(domain))
                throw r.Error($"the record has no \"{field}\" string; every record of a domain mixture names its domain", field);
            if (names is not null && !names.Contains(domain))
                throw r.Error($"domain \"{domain}\" is not one of the training mixture's domains [{string.Join(", ", names)}]", field);
            SftExample? ex;
            try { ex = tokenizer.ToSft(r.ToSft(), out _); }
            catch (FormatException e) when (e is not RecordFormatException) { throw r.Error(e.Message); }
            if (ex is null) continue;   // nothing to train on after the template: counted as no record of its domain
            examples.Add(ex with { Group = domain });
            domainNames.Add(domain);
        }
        var order = names?.ToList() ?? domainNames.Distinct().Order(StringComparer.Ordinal).ToList();
        var index = order.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i);
        return new DomainExamples(examples, domainNames.Select(n => index[n]).ToArray(), order);
    }

    /// <summary>Throw when a domain of <paramref name="data"/> has no record (names the domain and what was read).</summary>
    public static void RequireEveryDomain(DomainExamples data, string what)
    {
        var counts = data.Counts;
        for (int d = 0; d < counts.Length; d++)
            if (counts[d] == 0) throw new InvalidDataException($"Domain '{data.Names[d]}' has no records in {what}.");
    }

    /// <summary>
    /// Hold out up to <paramref name="perDomain"/> records of each domain (at most a tenth of it, at least one) by a
    /// seeded shuffle; every domain must keep at least one training record.
    /// </summary>
    public static (DomainExamples Train, DomainExamples HeldOut) Split(DomainExamples data, int perDomain, ulong seed)
    {
        var train = new List<int>(); var held = new List<int>();
        for (int d = 0; d < data.Names.Count; d++)
        {
            var members = Enumerable.Range(0, data.Domains.Length).Where(i => data.Domains[i] == d).ToArray();
            if (members.Length < 2) throw new InvalidDataException($"Domain '{data.Names[d]}' has {members.Length} record(s); holding some out needs at least 2 (or give held-out data).");
            int n = Math.Max(1, Math.Min(perDomain, members.Length / 10));
            var order = PhiloxShuffle.Permutation(members.Length, seed ^ 0x5350_4C49_54UL, (ulong)d);
            held.AddRange(order.Take(n).Select(i => members[i]).Order());
            train.AddRange(order.Skip(n).Select(i => members[i]));
        }
        train.Sort();
        DomainExamples Take(List<int> idx) => new(idx.Select(i => data.Examples[i]).ToList(), idx.Select(i => data.Domains[i]).ToArray(), data.Names);
        return (Take(train), Take(held));
    }
}
