using System.Text.Json.Nodes;

namespace Engine.Methods.Core.Data;

/// <summary>The record conventions the community's datasets use.</summary>
public enum DatasetFormat
{
    /// <summary>Decide per record from its fields (see <see cref="DatasetFormats.Detect"/>).</summary>
    Auto,
    /// <summary><c>instruction</c>, optional <c>input</c>, <c>output</c>, optional <c>system</c>.</summary>
    Alpaca,
    /// <summary><c>messages</c>: [{role, content}] (or ShareGPT <c>conversations</c>: [{from, value}]); loss on assistant turns.</summary>
    Messages,
    /// <summary><c>text</c>: plain text, loss on every token.</summary>
    Text,
    /// <summary><c>prompt</c> + <c>completion</c> (strings or message lists), SFT with loss on the completion.</summary>
    PromptCompletion,
    /// <summary><c>prompt</c> (optional when conversational), <c>chosen</c>, <c>rejected</c>.</summary>
    Preference,
    /// <summary><c>prompt</c>, <c>completion</c>, <c>label</c> (true = desirable).</summary>
    Kto,
    /// <summary><c>prompt</c> alone (string or message list): input for generation.</summary>
    Prompt,
    /// <summary><c>input_ids</c>: pre-tokenised ids (scoring).</summary>
    Tokens,
}

public static class DatasetFormats
{
    /// <summary>
    /// The format a record's fields imply, most specific first: chosen+rejected → Preference;
    /// completion+label → Kto; prompt+completion → PromptCompletion; messages/conversations → Messages;
    /// instruction+output → Alpaca; text → Text; prompt → Prompt; input_ids → Tokens. Null when none fits.
    /// </summary>
    public static DatasetFormat? Detect(JsonObject o)
    {
        if (o.ContainsKey("chosen") && o.ContainsKey("rejected")) return DatasetFormat.Preference;
        if (o.ContainsKey("completion") && o.ContainsKey("label")) return DatasetFormat.Kto;
        if (o.ContainsKey("prompt") && o.ContainsKey("completion")) return DatasetFormat.PromptCompletion;
        if (o.ContainsKey("messages") || o.ContainsKey("conversations")) return DatasetFormat.Messages;
        if (o.ContainsKey("instruction") && o.ContainsKey("output")) return DatasetFormat.Alpaca;
        if (o.ContainsKey("text")) return DatasetFormat.Text;
        if (o.ContainsKey("prompt")) return DatasetFormat.Prompt;
        if (o.ContainsKey("input_ids")) return DatasetFormat.Tokens;
        return null;
    }

    /// <summary>Formats an SFT trainer can use.</summary>
    public static bool IsSft(DatasetFormat f) =>
        f is DatasetFormat.Alpaca or DatasetFormat.Messages or DatasetFormat.Text or DatasetFormat.PromptCompletion;
}
