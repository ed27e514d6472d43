namespace Engine.Methods.Selection.CDT;

/// <summary>CDT's three tag dimensions: cognitive skills (up to two codes), a subdomain, a task type.</summary>
public enum CdtDimension { Cognition, Domain, Task }

public static class CdtDimensions
{
    public static readonly IReadOnlyList<CdtDimension> All = [CdtDimension.Cognition, CdtDimension.Domain, CdtDimension.Task];

    /// <summary>The dimension's name in a record's <c>tags</c> object and in the label and prompt files.</summary>
    public static string FieldName(this CdtDimension d) => d switch
    {
        CdtDimension.Cognition => "cognition",
        CdtDimension.Domain => "domain",
        _ => "task",
    };

    /// <summary>The key the tagging prompt asks the answer to use (the paper's JSON formats: "skill", "domain", "task").</summary>
    public static string AnswerKey(this CdtDimension d) => d == CdtDimension.Cognition ? "skill" : d.FieldName();

    /// <summary>Most labels kept per record: two cognitive skills (most important first), one subdomain, one task type.</summary>
    public static int MaxLabels(this CdtDimension d) => d == CdtDimension.Cognition ? 2 : 1;
}
