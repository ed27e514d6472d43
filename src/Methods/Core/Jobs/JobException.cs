namespace Engine.Methods.Core.Jobs;

/// <summary>A job that must not run or merge as asked (output exists, options differ, shards missing); the message says what to do.</summary>
public sealed class JobException(string message) : InvalidOperationException(message);
