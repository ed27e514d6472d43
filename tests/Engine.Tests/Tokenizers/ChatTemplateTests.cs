using Engine.Models.Chat;

namespace Engine.Tests.Tokenizers;

/// <summary>
/// Real chat templates (tests/fixtures/chat_templates, see the README there for their origin) rendered by
/// our Jinja interpreter. Every expected string is written by hand from the prompt format each model card
/// documents — none was produced by the renderer.
/// </summary>
public class ChatTemplateTests
{
    static ChatTemplate Fixture(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "tests", "fixtures", "chat_templates", name);
            if (File.Exists(path)) return new ChatTemplate(File.ReadAllText(path));
        }
        throw new FileNotFoundException($"chat template fixture {name} not found above {AppContext.BaseDirectory}");
    }

    static Dictionary<string, object?> Vars(params (string, object?)[] kv) => kv.ToDictionary(p => p.Item1, p => p.Item2);

    static readonly Dictionary<string, object?> WeatherTool = new()
    {
        ["type"] = "function",
        ["function"] = new Dictionary<string, object?>
        {
            ["name"] = "get_weather",
            ["description"] = "Get weather",
            ["parameters"] = new Dictionary<string, object?> { ["type"] = "object" },
        },
    };

    // ---------- Qwen2.5 ----------

    [Fact]
    public void Qwen25_SystemAndUser_WithGenerationPrompt()
    {
        string got = Fixture("qwen2.5-instruct.jinja").Render([new("system", "You are a helpful assistant."), new("user", "Hello!")], true);
        Assert.Equal("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n", got);
    }

    [Fact]
    public void Qwen25_DefaultSystemPrompt_MultiTurn_NullAndEmptyTools()
    {
        const string expected =
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
            "<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n2<|im_end|>\n<|im_start|>user\nAnd 2+2?<|im_end|>\n";
        var t = Fixture("qwen2.5-instruct.jinja");
        ChatMessage[] msgs = [new("user", "1+1?"), new("assistant", "2"), new("user", "And 2+2?")];
        Assert.Equal(expected, t.Render(msgs, false));
        Assert.Equal(expected, t.Render(msgs, false, Vars(("tools", null))));
        Assert.Equal(expected, t.Render(msgs, false, Vars(("tools", new List<object>()))));
    }

    [Fact]
    public void Qwen25_ToolsInSystemPrompt()
    {
        string got = Fixture("qwen2.5-instruct.jinja").Render([new("user", "Weather in Paris?")], true, Vars(("tools", new List<object> { WeatherTool })));
        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\n" +
            "You may call one or more functions to assist with the user query.\n\n" +
            "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
            "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get weather\", \"parameters\": {\"type\": \"object\"}}}\n" +
            "</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
            "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n", got);
    }

    [Fact]
    public void Qwen25_ToolCallAndToolResponse()
    {
        var messages = new List<Dictionary<string, object?>>
        {
            new() { ["role"] = "user", ["content"] = "Weather in Paris?" },
            new()
            {
                ["role"] = "assistant", ["content"] = "",
                ["tool_calls"] = new List<object> { new Dictionary<string, object?> { ["type"] = "function", ["function"] = new Dictionary<string, object?> { ["name"] = "get_weather", ["arguments"] = new Dictionary<string, object?> { ["city"] = "Paris" } } } },
            },
            new() { ["role"] = "tool", ["content"] = "22C" },
        };
        string got = Fixture("qwen2.5-instruct.jinja").Render([], false, Vars(("messages", messages)));
        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
            "<|im_start|>user\nWeather in Paris?<|im_end|>\n" +
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\n<tool_response>\n22C\n</tool_response><|im_end|>\n", got);
    }

    // ---------- SmolLM2 (ChatML) ----------

    [Fact]
    public void SmolLM2_DefaultSystem_AndExplicitSystem()
    {
        var t = Fixture("smollm2-instruct.jinja");
        Assert.Equal(
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            t.Render([new("user", "Hi")], true));
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n",
            t.Render([new("system", "Be brief."), new("user", "Hi")], false));
    }

    // ---------- Llama 3.1 ----------

    static readonly Dictionary<string, object?> Llama3Tokens = new() { ["bos_token"] = "<|begin_of_text|>", ["eos_token"] = "<|eot_id|>" };

    [Fact]
    public void Llama31_SystemUser_DefaultDate()
    {
        string got = Fixture("llama-3.1-instruct.jinja").Render([new("system", "You are a helpful assistant"), new("user", "What is 2+2?")], true, Llama3Tokens);
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n" +
            "You are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n", got);
    }

    [Fact]
    public void Llama31_NoSystem_GivenDate_TrimsContent_MultiTurn()
    {
        var vars = new Dictionary<string, object?>(Llama3Tokens) { ["date_string"] = "25 Nov 2026" };
        string got = Fixture("llama-3.1-instruct.jinja").Render([new("user", "  Hi  "), new("assistant", "Hello!\n"), new("user", "Bye")], false, vars);
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 25 Nov 2026\n\n<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>", got);
    }

    [Fact]
    public void Llama31_ToolsInFirstUserMessage_IndentedJson()
    {
        var tool = new Dictionary<string, object?>
        {
            ["type"] = "function",
            ["function"] = new Dictionary<string, object?> { ["name"] = "get_weather", ["parameters"] = new Dictionary<string, object?> { ["type"] = "object" } },
        };
        var vars = new Dictionary<string, object?>(Llama3Tokens) { ["tools"] = new List<object> { tool } };
        string got = Fixture("llama-3.1-instruct.jinja").Render([new("user", "Weather in Paris?")], true, vars);
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON for a function call " +
            "with its proper arguments that best answers the given prompt.\n\n" +
            "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n" +
            "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n        \"parameters\": {\n            \"type\": \"object\"\n        }\n    }\n}\n\n" +
            "Weather in Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", got);
    }

    // ---------- Mistral v0.3 ----------

    static readonly Dictionary<string, object?> MistralTokens = new() { ["bos_token"] = "<s>", ["eos_token"] = "</s>" };

    [Fact]
    public void MistralV03_MultiTurn_AndSystemFoldedIntoLastUserTurn()
    {
        var t = Fixture("mistral-7b-instruct-v0.3.jinja");
        Assert.Equal("<s>[INST] Hi[/INST] Hello!</s>[INST] How are you?[/INST]",
            t.Render([new("user", "Hi"), new("assistant", "Hello!"), new("user", "How are you?")], true, MistralTokens));
        Assert.Equal("<s>[INST] Hi[/INST] Yo</s>[INST] Be nice.\n\nAgain[/INST]",
            t.Render([new("system", "Be nice."), new("user", "Hi"), new("assistant", " Yo "), new("user", "Again")], true, MistralTokens));
    }

    [Fact]
    public void MistralV03_NonAlternatingRoles_RaiseTheTemplatesError()
    {
        var ex = Assert.Throws<ChatTemplateException>(() =>
            Fixture("mistral-7b-instruct-v0.3.jinja").Render([new("user", "a"), new("user", "b")], true, MistralTokens));
        Assert.Contains("conversation roles must alternate user/assistant/user/assistant", ex.Message);
    }

    // ---------- Llama 2 ----------

    [Fact]
    public void Llama2_SysBlock_StripsContent_AndAlternation()
    {
        var t = Fixture("llama-2-chat.jinja");
        Assert.Equal("<s>[INST] <<SYS>>\nSYS\n<</SYS>>\n\nHi [/INST] Hello </s><s>[INST] Bye [/INST]",
            t.Render([new("system", "SYS"), new("user", "Hi"), new("assistant", "Hello  "), new("user", "  Bye ")], false, MistralTokens));
        Assert.Equal("<s>[INST] Hi [/INST]", t.Render([new("user", "Hi")], false, MistralTokens));
        Assert.Throws<ChatTemplateException>(() => t.Render([new("assistant", "x")], false, MistralTokens));
    }
}
