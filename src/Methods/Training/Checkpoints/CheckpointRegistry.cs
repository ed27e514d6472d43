using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Engine.Models.Checkpoints;
using Engine.Models.Lora;
using Engine.Runtime;

namespace Engine.Methods.Training.Checkpoints;

/// <summary>
/// What a trainer saves for the methods built on it, by name: method state (<see cref="MethodState"/>, in
/// <c>method_state/&lt;name&gt;.json</c> and <c>.safetensors</c>) and random generators (seed and Philox offset, in
/// <c>rng_state.json</c>). Everything registered must be in a checkpoint that is resumed, and everything in it must be
/// registered: a resume with another set of methods fails with the name instead of training on half-restored state.
/// </summary>
internal sealed partial class CheckpointRegistry
{
    public const string StateFolder = MethodState.Folder, RngFile = "rng_state.json";

    private readonly List<(string Name, Func<MethodState> Save, Action<MethodState> Restore)> _states = [];
    private readonly List<(string Name, Generator Generator)> _generators = [];

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+$")]
    private static partial Regex SafeName();

    private static void CheckName(string name, string what)
    {
        if (name is null || !SafeName().IsMatch(name)) throw new ArgumentException($"{what} name '{name}' must be letters, digits, '_', '-' or '.' (it names a file).");
    }

    public void RegisterState(string name, Func<MethodState> save, Action<MethodState> restore)
    {
        CheckName(name, "Method state");
        ArgumentNullException.ThrowIfNull(save); ArgumentNullException.ThrowIfNull(restore);
        if (_states.Any(s => s.Name == name)) throw new ArgumentException($"Method state '{name}' is already registered.");
        _states.Add((name, save, restore));
    }

    public void RegisterGenerator(string name, Generator generator)
    {
        CheckName(name, "Generator");
        ArgumentNullException.ThrowIfNull(generator);
        if (_generators.Any(g => g.Name == name)) throw new ArgumentException($"A generator named '{name}' is already registered.");
        if (_generators.Any(g => ReferenceEquals(g.Generator, generator))) throw new ArgumentException($"Generator '{name}' is already registered under another name.");
        _generators.Add((name, generator));
    }

    public IEnumerable<string> StateNames => _states.Select(s => s.Name);

    public void Save(string dir, ulong runSeed)
    {
        var rng = new JsonObject { ["seed"] = runSeed, ["generators"] = new JsonObject(_generators.Select(g =>
            KeyValuePair.Create(g.Name, (JsonNode?)new JsonObject { ["seed"] = g.Generator.Seed, ["offset"] = g.Generator.Offset }))) };
        CheckpointJson.Write(Path.Combine(dir, RngFile), rng);
        if (_states.Count == 0) return;
        var folder = Path.Combine(dir, StateFolder);
        Directory.CreateDirectory(folder);
        foreach (var (name, save, _) in _states)
        {
            var s = save() ?? throw new InvalidOperationException($"Method state '{name}' saved null.");
            var tensors = s.Tensors ?? new Dictionary<string, Tensor>();
            if (tensors.Count > 0)
                SafeTensorsWriter.Write(Path.Combine(folder, name + ".safetensors"), tensors.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.Detach())));
            CheckpointJson.Write(Path.Combine(folder, name + ".json"), new JsonObject
            {
                ["json"] = s.Json?.DeepClone(),
                ["tensors"] = new JsonArray(tensors.Keys.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray()),
            });
        }
    }

    /// <summary>Fail before anything is restored when <paramref name="dir"/> does not hold exactly what is registered.</summary>
    public void Check(string dir)
    {
        var rng = CheckpointJson.Read(Path.Combine(dir, RngFile));
        var savedGens = rng["generators"] as JsonObject ?? [];
        foreach (var (name, g) in _generators)
        {
            if (savedGens[name] is not JsonObject o)
                throw new InvalidDataException($"{dir}/{RngFile} has no generator '{name}' (registered by this run), so its random stream cannot resume where it stopped.");
            if (o["seed"]!.GetValue<ulong>() != g.Seed)
                throw new InvalidDataException($"{dir}: generator '{name}' was seeded {o["seed"]}, this run seeds it {g.Seed}.");
        }
        foreach (var (name, _) in savedGens)
            if (_generators.All(g => g.Name != name)) throw new InvalidDataException($"{dir}/{RngFile} holds generator '{name}', which this run does not register.");
        var folder = Path.Combine(dir, StateFolder);
        foreach (var (name, _, _) in _states)
            if (!File.Exists(Path.Combine(folder, name + ".json")))
                throw new InvalidDataException($"{dir} has no method state '{name}' (registered by this run: {string.Join(", ", StateNames)}); it was written by a run without it and cannot be resumed exactly.");
        if (Directory.Exists(folder))
            foreach (var f in Directory.EnumerateFiles(folder, "*.json"))
                if (_states.All(s => s.Name != Path.GetFileNameWithoutExtension(f)))
                    throw new InvalidDataException($"{dir} holds method state '{Path.GetFileNameWithoutExtension(f)}', which this run does not register (was it written by another method?).");
    }

    /// <summary>Restore generator offsets and method states (call <see cref="Check"/> first).</summary>
    public void Load(string dir)
    {
        var gens = CheckpointJson.Read(Path.Combine(dir, RngFile))["generators"] as JsonObject ?? [];
        foreach (var (name, g) in _generators) g.Offset = gens[name]!["offset"]!.GetValue<ulong>();
        var folder = Path.Combine(dir, StateFolder);
        foreach (var (name, _, restore) in _states)
        {
            var meta = CheckpointJson.Read(Path.Combine(folder, name + ".json"));
            var names = (meta["tensors"] as JsonArray ?? []).Select(n => n!.GetValue<string>()).ToList();
            Dictionary<string, Tensor>? tensors = null;
            if (names.Count > 0)
            {
                tensors = SafeTensorsDictionary.ReadAll(Path.Combine(folder, name + ".safetensors"));
                foreach (var n in names)
                    if (!tensors.ContainsKey(n)) throw new InvalidDataException($"{folder}/{name}.safetensors lacks tensor '{n}'.");
            }
            restore(new MethodState(meta["json"]?.DeepClone(), tensors));
        }
    }
}
