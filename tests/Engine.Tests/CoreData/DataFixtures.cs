namespace Engine.Tests.CoreData;

internal static class DataFixtures
{
    /// <summary>A file of tests/fixtures/training_data.</summary>
    public static string Path(string file)
    {
        var dir = AppContext.BaseDirectory;
        while (!Directory.Exists(System.IO.Path.Combine(dir, "tests", "fixtures", "training_data"))) dir = System.IO.Path.GetDirectoryName(dir)!;
        return System.IO.Path.Combine(dir, "tests", "fixtures", "training_data", file);
    }
}
