using System.Globalization;
using Simper.Checkpoints;
using Simper.Lora;
using Simper.Models;
using static TorchSharp.torch;

namespace Simper.Training;

/// <summary>
/// The output folder of a training run: the final model in Hugging Face layout at its root, beside
/// <c>checkpoint-N/</c> folders (model, optimizer, trainer state), <c>metrics.jsonl</c>, TensorBoard events under
/// <c>runs/</c>, PNG plots and the effective settings. Every checkpoint is written beside its final place and renamed
/// into it, so a crash at any moment leaves the previous checkpoint whole.
/// </summary>
public sealed class RunFolder
{
    public const string SettingsFile = "training_settings.json";
    public const string CheckpointPrefix = "checkpoint-";
    public const string AdapterFolder = "adapter";

    public string Path { get; }

    private RunFolder(string path) => Path = path;

    /// <summary>
    /// Opens the folder for a new run (creating it), or for resuming one. A folder that already holds another run is
    /// refused unless <paramref name="overwrite"/>, which clears it first; an unwritable folder is refused up front.
    /// </summary>
    public static RunFolder Open(string path, bool overwrite, bool resume)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (System.IO.File.Exists(full)) throw new SettingException($"«output» {path}: is a file, expected a folder");
        var holdsRun = Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any();
        if (holdsRun && !resume)
        {
            if (!overwrite)
                throw new SettingException($"«output» {path}: already holds files of another run; use «overwrite» to replace them or «resume» to continue it");
            foreach (var entry in Directory.EnumerateFileSystemEntries(full))
                if (Directory.Exists(entry)) Directory.Delete(entry, true); else System.IO.File.Delete(entry);
        }
        try
        {
            Directory.CreateDirectory(full);
            var probe = System.IO.Path.Combine(full, $".write-test-{Guid.NewGuid():N}");
            System.IO.File.WriteAllText(probe, "");
            System.IO.File.Delete(probe);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new SettingException($"«output» {path}: not writable ({e.Message})", e);
        }
        if (resume) RemoveLeftovers(full);
        return new RunFolder(full);
    }

    /// <summary>The folder of a run another process (rank 0 of a data-parallel job) opens and writes; nothing is touched.</summary>
    public static RunFolder Attach(string path) => new(System.IO.Path.GetFullPath(path));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string CheckpointPath(int step) => File(CheckpointPrefix + step.ToString(CultureInfo.InvariantCulture));

    /// <summary>Checkpoints by step, oldest first (half-written staging folders are never named checkpoint-N).</summary>
    public IReadOnlyList<(int Step, string Path)> Checkpoints() =>
        Directory.EnumerateDirectories(Path, CheckpointPrefix + "*")
            .Select(d => (Ok: int.TryParse(System.IO.Path.GetFileName(d)[CheckpointPrefix.Length..], NumberStyles.None,
                CultureInfo.InvariantCulture, out var step), Step: step, Path: d))
            .Where(c => c.Ok && System.IO.File.Exists(System.IO.Path.Combine(c.Path, TrainerState.FileName)))
            .OrderBy(c => c.Step).Select(c => (c.Step, c.Path)).ToList();

    /// <summary>The checkpoint to resume from: "latest" (or empty), or a checkpoint folder's path or name.</summary>
    public string ResolveResume(string which)
    {
        if (string.IsNullOrEmpty(which) || which == "latest")
            return Checkpoints().LastOrDefault().Path
                   ?? throw new SettingException($"«resume»: {Path} holds no checkpoint-N folder to resume from");
        var candidate = Directory.Exists(which) ? which : File(which);
        if (!System.IO.File.Exists(System.IO.Path.Combine(candidate, TrainerState.FileName)))
            throw new SettingException($"«resume» {which}: not a checkpoint folder (no {TrainerState.FileName})");
        return System.IO.Path.GetFullPath(candidate);
    }

    /// <summary>
    /// Writes checkpoint-N atomically (model, optimizer, trainer state, and float32 master weights when given) and
    /// keeps only the newest <paramref name="keep"/>. With <paramref name="lora"/> the model part is the adapter alone
    /// in PEFT's layout, as Hugging Face's Trainer checkpoints a PEFT model; the base stays at <paramref name="baseModelPath"/>.
    /// </summary>
    public void SaveCheckpoint(int step, LlamaForCausalLM model, TorchSharp.Modules.OptimizerHelper optimizer, TrainerState state,
        ScalarType dtype, string? tokenizerFrom, int keep, MasterWeights? masters = null, LoraConfig? lora = null, string? baseModelPath = null)
    {
        var target = CheckpointPath(step);
        AtomicFolder.Create(target, staging =>
        {
            if (lora is not null) LoraModel.SaveAdapter(model, lora, staging, baseModelPath);
            else
            {
                PretrainedModel.Save(model, model.Config, System.IO.Path.Combine(staging, "model"), dtype, copyTokenizerFrom: tokenizerFrom);
                MoveContents(System.IO.Path.Combine(staging, "model"), staging);
                Directory.Delete(System.IO.Path.Combine(staging, "model"));
            }
            masters?.Save(System.IO.Path.Combine(staging, MasterWeights.FileName));
            OptimizerCheckpoint.Save(optimizer, System.IO.Path.Combine(staging, OptimizerCheckpoint.FileName));
            state.Save(System.IO.Path.Combine(staging, TrainerState.FileName));
        });
        if (keep > 0)
            foreach (var (_, old) in Checkpoints().SkipLast(keep)) DeleteCheckpoint(old);
    }

    // Renamed out of the checkpoint-N namespace first, so a crash mid-delete never leaves a half-deleted folder
    // that still looks like a checkpoint; the leftover is removed when the run is next opened.
    private static void DeleteCheckpoint(string path)
    {
        var doomed = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, $".{System.IO.Path.GetFileName(path)}.old-{Guid.NewGuid():N}");
        Directory.Move(path, doomed);
        Directory.Delete(doomed, recursive: true);
    }

    /// <summary>Removes what an interrupted run left behind: hidden staging folders and temporary files, none of which is ever read.</summary>
    private static void RemoveLeftovers(string path)
    {
        foreach (var dir in Directory.EnumerateDirectories(path, ".*"))
            if (System.IO.Path.GetFileName(dir) is var name && (name.StartsWith("." + CheckpointPrefix, StringComparison.Ordinal) || name.StartsWith($".{AdapterFolder}.", StringComparison.Ordinal) || name.Contains(".final-", StringComparison.Ordinal)))
                Directory.Delete(dir, recursive: true);
        foreach (var file in Directory.EnumerateFiles(path, "*.tmp-*")) System.IO.File.Delete(file);
    }

    /// <summary>Writes the trained LoRA adapter in PEFT's layout to <c>adapter/</c>, renamed into place once complete.</summary>
    public void SaveAdapter(LlamaForCausalLM model, LoraConfig lora, string? baseModelPath) =>
        AtomicFolder.Create(File(AdapterFolder), staging => LoraModel.SaveAdapter(model, lora, staging, baseModelPath));

    /// <summary>Writes the final model at the folder's root, each file renamed into place once complete.</summary>
    public void SaveFinalModel(LlamaForCausalLM model, ScalarType dtype, string? tokenizerFrom)
    {
        var staging = File($".final-{Guid.NewGuid():N}");
        PretrainedModel.Save(model, model.Config, staging, dtype, copyTokenizerFrom: tokenizerFrom);
        foreach (var stale in Directory.EnumerateFiles(Path, "model-*-of-*.safetensors")) System.IO.File.Delete(stale);
        MoveContents(staging, Path);
        Directory.Delete(staging);
    }

    private static void MoveContents(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from))
            System.IO.File.Move(file, System.IO.Path.Combine(to, System.IO.Path.GetFileName(file)), overwrite: true);
    }
}
