using Engine.Methods.Selection.CDT;

using Engine.Tests.TrainingData;

namespace Engine.Tests.Cdt;

/// <summary>The label sets as data files: the built-in ones, and bad files that are reported rather than fatal.</summary>
public class CdtLabelSetTests
{
    [Fact]
    public void TheBuiltInSetsHaveThePapersLabels()
    {
        var s = CdtLabelSet.Default;
        Assert.Equal(18, s.Cognition.Count);
        Assert.Equal(33, s.Domain.Count);
        Assert.Equal(9, s.Domain.Groups.Count);
        Assert.Equal(13, s.Task.Count);
        Assert.Empty(s.Problems);
        Assert.Contains("NM", s.Cognition.Names);
        Assert.Contains("AC", s.Cognition.Names);
        Assert.Equal("Natural Science", s.Domain.Labels.Single(l => l.Name == "Astronomy").Group);
        Assert.All(s.Cognition.Labels, l => Assert.False(string.IsNullOrWhiteSpace(l.Definition)));
    }

    [Fact]
    public void DuplicatesAndNamelessLabelsAreReportedAndLeftOut()
    {
        var json = """
            {"labels": [
              {"name": "Alpha", "definition": "first"},
              {"name": "beta"},
              {"name": "ALPHA", "definition": "a repeat in other case"},
              {"definition": "no name"},
              {"name": "   "},
              {"name": "Gamma"}
            ]}
            """;
        var labels = CdtLabels.Parse(CdtDimension.Task, json, "task.json");
        Assert.Equal(["Alpha", "beta", "Gamma"], labels.Names);
        Assert.Equal("first", labels.Labels[0].Definition);
        Assert.Equal(3, labels.Problems.Count);
        Assert.Contains(labels.Problems, p => p.Contains("task.json: labels[2] \"ALPHA\" repeats labels[0]", StringComparison.Ordinal));
        Assert.Contains(labels.Problems, p => p.Contains("labels[3] has no name", StringComparison.Ordinal));
        Assert.Equal("beta", labels.Canonical(" BETA "));
        Assert.Null(labels.Canonical("delta"));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"names\": []}")]
    [InlineData("{\"labels\": [{\"definition\": \"only\"}]}")]
    public void AFileWithNoUsableLabelsIsAClearError(string json)
    {
        var e = Assert.Throws<InvalidDataException>(() => CdtLabels.Parse(CdtDimension.Domain, json, "my/domain.json"));
        Assert.StartsWith("my/domain.json:", e.Message);
    }

    [Fact]
    public void AFolderOverridesOnlyTheFilesItHolds()
    {
        using var dir = new TempDir();
        dir.Write("task.json", """{"labels": [{"name": "Solve"}, {"name": "Explain"}, {"name": "solve"}]}""");
        var set = CdtLabelSet.Load(dir.Path);
        Assert.Equal(2, set.Task.Count);
        Assert.Equal(18, set.Cognition.Count);
        Assert.Single(set.Problems);
        Assert.Equal(171L * 33 * 2, set.CoverageDenominator);
        Assert.NotEqual(CdtLabelSet.Default.Digest, set.Digest);
        Assert.Throws<DirectoryNotFoundException>(() => CdtLabelSet.Load(dir.File("missing")));
    }
}
