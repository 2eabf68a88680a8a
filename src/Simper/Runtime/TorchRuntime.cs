using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Runtime;

/// <summary>Device, dtype and thread settings shared by every command, parsed from their user-facing names.</summary>
public static class TorchRuntime
{
    public static readonly string[] DeviceNames = ["cpu", "cuda"];
    public static readonly string[] DtypeNames = ["float32", "bfloat16", "float16", "float64"];

    /// <summary>"cpu", "cuda" or "cuda:N". CUDA needs the TorchSharp-cuda package in place of TorchSharp-cpu.</summary>
    public static Device ParseDevice(string name)
    {
        var lower = name.Trim().ToLowerInvariant();
        if (lower == "cpu") return CPU;
        if (lower == "cuda" || lower.StartsWith("cuda:"))
        {
            if (!cuda.is_available())
                throw new SimperException(
                    $"--device {name}: CUDA is not available (this build uses TorchSharp-cpu; reference TorchSharp-cuda-linux for GPUs)");
            return new Device(lower);
        }
        throw new SettingException($"«device» {name}: expected one of {string.Join(", ", DeviceNames)}");
    }

    public static ScalarType ParseDtype(string name) => name.Trim().ToLowerInvariant() switch
    {
        "float32" or "fp32" or "float" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        "float16" or "fp16" or "half" => ScalarType.Float16,
        "float64" or "fp64" or "double" => ScalarType.Float64,
        _ => throw new SettingException($"«dtype» {name}: expected one of {string.Join(", ", DtypeNames)}"),
    };

    /// <summary>Hugging Face's name for a dtype, as written to config.json's torch_dtype.</summary>
    public static string DtypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        ScalarType.Float64 => "float64",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Sets libtorch's intra-op threads; 0 means the default: libtorch's own (one per core) for a process alone on
    /// its machine, the rank's share of the cores (<see cref="RankThreads"/>) for one of several ranks.
    /// </summary>
    public static void SetThreads(int threads)
    {
        if (threads < 0) throw new SettingException($"«threads» {threads}: expected 0 (all cores) or a positive count");
        if ((threads > 0 ? threads : RankThreads.Default()) is int count) torch.set_num_threads(count);
    }
}
