using System.Net;
using System.Net.Sockets;

namespace Engine.Runtime.Distributed.Nccl;

/// <summary>
/// Hands rank 0's NCCL unique id to every rank over TCP when no MPI is there (torchrun, Slurm without MPI): rank 0
/// listens on MASTER_ADDR:(MASTER_PORT + 1) — torchrun's own store holds MASTER_PORT — and sends the 128 bytes to each
/// rank that connects; the others retry connecting until <see cref="Timeout"/>.
/// </summary>
internal static class NcclRendezvous
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public static byte[] Exchange(WorldInfo world, byte[]? rootId)
    {
        if (world.MasterAddr is null || world.MasterPort is null)
            throw new InvalidOperationException($"NCCL needs MASTER_ADDR and MASTER_PORT to exchange its unique id ({world}); set them, or launch with mpirun.");
        int port = world.MasterPort.Value + 1;
        var deadline = DateTime.UtcNow + Timeout;
        if (world.IsRoot)
        {
            using var listener = new TcpListener(IPAddress.Any, port);
            listener.Start();
            for (int served = 1; served < world.Size; served++)
            {
                var wait = listener.AcceptTcpClientAsync();
                if (!wait.Wait(deadline - DateTime.UtcNow))
                    throw new TimeoutException($"NCCL rendezvous: only {served - 1} of {world.Size - 1} ranks connected to port {port} within {Timeout.TotalMinutes} minutes.");
                using var client = wait.Result;
                client.GetStream().Write(rootId!);
            }
            return rootId!;
        }
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(world.MasterAddr, port);
                var id = new byte[NcclUniqueId.Bytes];
                client.GetStream().ReadExactly(id);
                return id;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline) { Thread.Sleep(200); }
        }
    }
}
