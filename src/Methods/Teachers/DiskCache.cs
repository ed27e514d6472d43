using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Distributed;

namespace Engine.Methods.Teachers;

/// <summary>
/// An <see cref="IDistributedCache"/> on disk, one file per entry (the SHA-256 of the key, in 256 subfolders), written
/// atomically so a killed run never leaves a torn entry. The teacher pipeline's cache
/// (Microsoft.Extensions.AI's DistributedCachingChatClient) stores answers here. Entries never expire: delete the
/// folder to forget them.
/// </summary>
public sealed class DiskCache : IDistributedCache
{
    public string Directory { get; }

    public DiskCache(string directory)
    {
        Directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
    }

    private string PathOf(string key)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        return Path.Combine(Directory, hash[..2], hash + ".json");
    }

    public byte[]? Get(string key) => File.Exists(PathOf(key)) ? File.ReadAllBytes(PathOf(key)) : null;

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        var p = PathOf(key);
        try { return await File.ReadAllBytesAsync(p, token).ConfigureAwait(false); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        var p = PathOf(key);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        var tmp = p + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllBytes(tmp, value);
        File.Move(tmp, p, overwrite: true);
    }

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        Set(key, value, options);
        return Task.CompletedTask;
    }

    public void Refresh(string key) { }

    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    public void Remove(string key) => File.Delete(PathOf(key));

    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        Remove(key);
        return Task.CompletedTask;
    }
}
