using System.Runtime.InteropServices;

namespace Engine.Runtime.Distributed.Mpi;

/// <summary>
/// Open MPI's C API (libmpi.so.40: Open MPI 3, 4 and 5). In Open MPI's ABI the predefined handles are addresses of
/// exported objects: MPI_COMM_WORLD is &amp;ompi_mpi_comm_world, MPI_FLOAT &amp;ompi_mpi_float, MPI_SUM &amp;ompi_mpi_op_sum;
/// MPI_IN_PLACE is (void*)1. The library is opened RTLD_GLOBAL first, because Open MPI's plugins resolve their symbols
/// against it.
/// </summary>
internal static unsafe partial class MpiNative
{
    internal const string Lib = "libmpi.so.40";
    internal static readonly IntPtr InPlace = 1;

    [LibraryImport(Lib)] internal static partial int MPI_Init(int* argc, byte*** argv);
    [LibraryImport(Lib)] internal static partial int MPI_Init_thread(int* argc, byte*** argv, int required, int* provided);
    [LibraryImport(Lib)] internal static partial int MPI_Query_thread(int* provided);
    /// <summary>MPI_THREAD_SERIALIZED (the same value in Open MPI and MPICH): any thread may call MPI, one at a time.</summary>
    internal const int ThreadSerialized = 2;
    [LibraryImport(Lib)] internal static partial int MPI_Initialized(int* flag);
    [LibraryImport(Lib)] internal static partial int MPI_Finalized(int* flag);
    [LibraryImport(Lib)] internal static partial int MPI_Finalize();
    [LibraryImport(Lib)] internal static partial int MPI_Abort(IntPtr comm, int errorcode);
    [LibraryImport(Lib)] internal static partial int MPI_Comm_rank(IntPtr comm, int* rank);
    [LibraryImport(Lib)] internal static partial int MPI_Comm_size(IntPtr comm, int* size);
    [LibraryImport(Lib)] internal static partial int MPI_Allreduce(void* send, void* recv, int count, IntPtr datatype, IntPtr op, IntPtr comm);
    [LibraryImport(Lib)] internal static partial int MPI_Reduce_scatter_block(void* send, void* recv, int recvcount, IntPtr datatype, IntPtr op, IntPtr comm);
    [LibraryImport(Lib)] internal static partial int MPI_Allgather(void* send, int sendcount, IntPtr sendtype, void* recv, int recvcount, IntPtr recvtype, IntPtr comm);
    [LibraryImport(Lib)] internal static partial int MPI_Bcast(void* buffer, int count, IntPtr datatype, int root, IntPtr comm);
    [LibraryImport(Lib)] internal static partial int MPI_Barrier(IntPtr comm);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr dlopen(string file, int mode);

    internal static IntPtr CommWorld, Float, Double, Byte, OpSum;

    private static readonly Lock Gate = new();
    private static string? _error;
    private static bool _loaded;

    /// <summary>Load libmpi and its handles once; false with the reason when it is not installed.</summary>
    internal static bool TryLoad(out string error)
    {
        lock (Gate)
        {
            error = _error ?? "";
            if (_loaded) return true;
            if (_error is not null) return false;
            const int RtldNow = 2, RtldGlobal = 0x100;
            if (OperatingSystem.IsLinux()) dlopen(Lib, RtldNow | RtldGlobal);
            if (!NativeLibrary.TryLoad(Lib, typeof(MpiNative).Assembly, null, out var h))
            {
                _error = error = $"MPI is not available: {Lib} (Open MPI) could not be loaded. Install it (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev) "
                    + "or run as a single process.";
                return false;
            }
            CommWorld = NativeLibrary.GetExport(h, "ompi_mpi_comm_world");
            Float = NativeLibrary.GetExport(h, "ompi_mpi_float");
            Double = NativeLibrary.GetExport(h, "ompi_mpi_double");
            Byte = NativeLibrary.GetExport(h, "ompi_mpi_byte");
            OpSum = NativeLibrary.GetExport(h, "ompi_mpi_op_sum");
            _loaded = true;
            return true;
        }
    }

    internal static void Check(int rc, string call)
    {
        if (rc != 0) throw new InvalidOperationException($"{call} failed with MPI error {rc}.");
    }
}
