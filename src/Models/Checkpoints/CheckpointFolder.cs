using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Runtime;

namespace Engine.Models.Checkpoints;

/// <summary>
/// The weights of a Hugging Face model folder: model.safetensors, or model.safetensors.index.json with
/// its shards (model-00001-of-00003.safetensors, ...). Every shard is opened and validated up front,
/// and every tensor the index lists is checked to be in its shard.
/// </summary>
public sealed partial class CheckpointFolder : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";
    /// <summary>transformers' default max_shard_size ("5GB" = 5·10⁹ bytes).</summary>
    public const long DefaultMaxShardBytes = 5_000_000_000;

    private readonly List<SafeTensorsFile> _files;
    private readonly Dictionary<string, SafeTensorsFile> _fileOf;
    private readonly List<string> _names;

    public string Directory { get; }
    public bool IsSharded { get; }
    /// <summary>The opened safetensors files, in index order.</summary>
    public IReadOnlyList<SafeTensorsFile> Files => _files;

    private CheckpointFolder(string dir, bool sharded, List<SafeTensorsFile> files, Dictionary<string, SafeTensorsFile> fileOf, List<string> names)
    {
        Directory = dir; IsSharded = sharded; _files = files; _fileOf = fileOf; _names = names;
    }

    public static CheckpointFolder Open(string dir)
    {
        var full = Path.GetFullPath(dir);
        if (!System.IO.Directory.Exists(full)) throw new DirectoryNotFoundException($"Checkpoint folder '{full}' does not exist.");
        var single = Path.Combine(full, SingleFileName);
        var index = Path.Combine(full, IndexFileName);
        // transformers looks for the single file first.
        if (File.Exists(single))
        {
            var f = SafeTensorsFile.Open(single);
            return new CheckpointFolder(full, false, [f], f.Entries.Keys.ToDictionary(k => k, _ => f, StringComparer.Ordinal), f.Entries.Keys.ToList());
        }
        if (!File.Exists(index))
            throw new FileNotFoundException($"'{full}' has neither {SingleFileName} nor {IndexFileName}.", single);
        return OpenSharded(full, index);
    }

    private static CheckpointFolder OpenSharded(string dir, string indexPath)
    {
        var weightMap = CheckpointIndex.ReadWeightMap(indexPath);
        var opened = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        try
        {
            var fileOf = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
            foreach (var (name, shard) in weightMap)
            {
                if (!opened.TryGetValue(shard, out var f))
                {
                    var path = Path.Combine(dir, shard);
                    if (!File.Exists(path))
                        throw new SafeTensorsFormatException(indexPath, name, $"shard '{shard}' does not exist in '{dir}'");
                    opened[shard] = f = SafeTensorsFile.Open(path);
                }
                if (!f.Contains(name))
                    throw new SafeTensorsFormatException(indexPath, name, $"the index places it in shard '{shard}', which has no such tensor");
                fileOf[name] = f;
            }
            return new CheckpointFolder(dir, true, opened.Values.ToList(), fileOf, weightMap.Select(kv => kv.Key).ToList());
        }
        catch
        {
            foreach (var f in opened.Values) f.Dispose();
            throw;
        }
    }

    public IEnumerable<string> Names => _names;
    public int Count => _names.Count;
    public bool Contains(string name) => _fileOf.ContainsKey(name);
    public TensorEntry Entry(string name) => FileOf(name).Entry(name);
    public Tensor Load(string name, DType? convertTo = null) => FileOf(name).Load(name, convertTo);
    /// <summary>Zero-copy view over the mapped shard; see <see cref="SafeTensorsFile.View"/>.</summary>
    public Tensor View(string name) => FileOf(name).View(name);

    private SafeTensorsFile FileOf(string name) =>
        _fileOf.TryGetValue(name, out var f) ? f
        : throw new KeyNotFoundException($"Tensor '{name}' is not in checkpoint '{Directory}' ({_names.Count} tensors).");

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }

    /// <summary>
    /// Write tensors as transformers does: one model.safetensors when they fit in
    /// <paramref name="maxShardBytes"/>, else shards filled in the given order (a tensor larger than the
    /// limit gets a shard of its own) plus the index. Stale weight files from an earlier save are removed.
    /// </summary>
    public static void Save(string dir, IEnumerable<KeyValuePair<string, Tensor>> tensors, long maxShardBytes = DefaultMaxShardBytes,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (maxShardBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maxShardBytes), maxShardBytes, "must be positive");
        var list = tensors.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in list)
            if (!seen.Add(name)) throw new ArgumentException($"Tensor name '{name}' appears twice.");

        var shards = new List<List<KeyValuePair<string, Tensor>>> { new() };
        long current = 0, total = 0;
        foreach (var kv in list)
        {
            long bytes = checked(kv.Value.NumElements * kv.Value.DType.SizeOf());
            if (shards[^1].Count > 0 && current + bytes > maxShardBytes) { shards.Add([]); current = 0; }
            shards[^1].Add(kv);
            current += bytes;
            total += bytes;
        }

        var full = Path.GetFullPath(dir);
        System.IO.Directory.CreateDirectory(full);
        var written = new HashSet<string>(StringComparer.Ordinal);
        if (shards.Count == 1)
        {
            SafeTensorsWriter.Write(Path.Combine(full, SingleFileName), shards[0], metadata);
            written.Add(SingleFileName);
        }
        else
        {
            var weightMap = new List<KeyValuePair<string, string>>();
            for (int i = 0; i < shards.Count; i++)
            {
                var file = ShardName(i + 1, shards.Count);
                SafeTensorsWriter.Write(Path.Combine(full, file), shards[i], metadata);
                written.Add(file);
                weightMap.AddRange(shards[i].Select(kv => new KeyValuePair<string, string>(kv.Key, file)));
            }
            // The index goes last so no reader sees it point at shards that are not written yet.
            CheckpointIndex.Write(Path.Combine(full, IndexFileName), total, weightMap);
            written.Add(IndexFileName);
        }
        RemoveStaleWeights(full, written);
    }

    public static string ShardName(int index, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"model-{index:D5}-of-{count:D5}.safetensors");

    private static void RemoveStaleWeights(string dir, HashSet<string> keep)
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(dir))
        {
            var name = Path.GetFileName(path);
            bool ours = name == SingleFileName || name == IndexFileName || ShardPattern().IsMatch(name);
            if (ours && !keep.Contains(name)) File.Delete(path);
        }
    }

    [GeneratedRegex(@"^model-\d{5}-of-\d{5}\.safetensors$")]
    private static partial Regex ShardPattern();
}
