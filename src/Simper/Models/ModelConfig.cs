using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;

namespace Simper.Models;

/// <summary>Llama 3 style frequency-dependent RoPE scaling (<c>rope_scaling.rope_type = "llama3"</c>).</summary>
public sealed record Llama3RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings);

/// <summary>
/// Phi-3.5 / Phi-4-mini's RoPE scaling (<c>rope_scaling.rope_type = "longrope"</c>, formerly "su"): each frequency
/// divided by its short factor, or by its long factor once a forward pass reaches past the original context, and
/// cos and sin multiplied by an attention factor. <see cref="Factor"/> and <see cref="AttentionFactor"/> are the
/// config's, null when it leaves them out.
/// </summary>
public sealed record LongRopeScaling(double[] ShortFactor, double[] LongFactor, double? Factor, double? AttentionFactor, int? OriginalMaxPositionEmbeddings);

/// <summary>
/// The architecture hyper-parameters of a decoder-only model, read from and written to a Hugging Face config.json.
/// Every family is the one Llama-layout model with the switches of <c>ModelFamilies.cs</c>.
/// </summary>
public sealed partial record ModelConfig
{
    /// <summary>transformers' class name, e.g. "MistralForCausalLM".</summary>
    public required string Architecture { get; init; }
    /// <summary>One of <see cref="KnownTypes"/>.</summary>
    public required string ModelType { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    /// <summary>Defaults to <see cref="NumAttentionHeads"/> because configs written before GQA existed omit it (plain multi-head attention).</summary>
    public required int NumKeyValueHeads { get; init; }
    /// <summary>Defaults to hidden_size / num_attention_heads, the only value older configs could express.</summary>
    public required int HeadDim { get; init; }
    public required int VocabSize { get; init; }
    /// <summary>Defaults to 1e-6 as transformers' LlamaConfig does.</summary>
    public double RmsNormEps { get; init; } = 1e-6;
    /// <summary>Defaults to 10000, the base of the original RoPE paper and transformers' default.</summary>
    public double RopeTheta { get; init; } = 10000.0;
    /// <summary>Null means plain RoPE ("default" in transformers).</summary>
    public Llama3RopeScaling? RopeScaling { get; init; }
    /// <summary>Defaults to 2048 as transformers' LlamaConfig does; bounds generation length.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;
    /// <summary>Defaults to false as transformers' LlamaConfig does (most checkpoints state it explicitly).</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Llama's attention_bias (default false, as in transformers); Mistral never has biases, Qwen2 always on q/k/v.</summary>
    public bool AttentionBias { get; init; }
    /// <summary>Llama's mlp_bias, default false as in transformers; Mistral and Qwen2 have no MLP bias.</summary>
    public bool MlpBias { get; init; }
    /// <summary>Null when the config has none (transformers' default too); tokenizers then decide.</summary>
    public int? BosTokenId { get; init; }
    /// <summary>One or several ids; HF configs write either an int or a list.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    /// <summary>Null by default: most causal LMs define no pad token. When set, its embedding row gets no gradient, as in transformers.</summary>
    public int? PadTokenId { get; init; }
    /// <summary>The id that fills padded positions: pad_token_id, else the first EOS. Padding is masked, so any valid id works.</summary>
    public int PaddingId => PadTokenId ?? EosTokenIds.FirstOrDefault();
    /// <summary>The dtype the weights are stored in; null when the config does not say.</summary>
    public string? TorchDtype { get; init; }
    /// <summary>Standard deviation of the normal initialisation; 0.02 is transformers' default for all three families.</summary>
    public double InitializerRange { get; init; } = 0.02;

    /// <summary>sliding_window as the config writes it (null: none); which layers apply it is <see cref="WindowOf"/>.</summary>
    public int? SlidingWindow { get; init; }
    /// <summary>Qwen2/Qwen3's use_sliding_window (their window applies only when true); null for other families.</summary>
    public bool? UseSlidingWindow { get; init; }
    /// <summary>Qwen2/Qwen3's max_window_layers: layers from this index on slide; null when the config has none.</summary>
    public int? MaxWindowLayers { get; init; }
    /// <summary>Phi-3's partial_rotary_factor: the share of each head's channels RoPE rotates (1 elsewhere).</summary>
    public double PartialRotaryFactor { get; init; } = 1.0;
    /// <summary>Phi-3's original_max_position_embeddings, the context it was pretrained on (longrope's switch point).</summary>
    public int? OriginalMaxPositionEmbeddings { get; init; }
    /// <summary>rope_scaling of type "longrope" (Phi-3.5, Phi-4-mini); null for none.</summary>
    public LongRopeScaling? LongRope { get; init; }
    /// <summary>rope_scaling of type "linear": positions divided by this factor (Gemma 3's global layers); null for none.</summary>
    public double? LinearRopeFactor { get; init; }
    /// <summary>Gemma's query_pre_attn_scalar: scores are scaled by its −½ power rather than head_dim's.</summary>
    public double? QueryPreAttnScalar { get; init; }
    /// <summary>Gemma's attn_logit_softcapping: scores become cap · tanh(score / cap) before the mask; null for none.</summary>
    public double? AttnLogitSoftcapping { get; init; }
    /// <summary>Gemma's final_logit_softcapping: logits become cap · tanh(logit / cap); null for none.</summary>
    public double? FinalLogitSoftcapping { get; init; }
    /// <summary>Gemma 3's rope_local_base_freq: the RoPE base of its sliding layers.</summary>
    public double? RopeLocalBaseFreq { get; init; }
    /// <summary>Gemma 3's sliding_window_pattern: every n-th layer is global (when layer_types is absent).</summary>
    public int? SlidingWindowPattern { get; init; }
    /// <summary>layer_types ("sliding_attention" or "full_attention" per layer) when the config lists them.</summary>
    public IReadOnlyList<string>? LayerTypes { get; init; }

    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path)) throw new SimperException($"{path}: file not found; a model folder needs a Hugging Face config.json");
        return Parse(File.ReadAllText(path), path);
    }

    public static ModelConfig Parse(string json, string source = "config.json")
    {
        JsonObject root;
        try { root = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("not a JSON object"); }
        catch (JsonException e) { throw new SimperException($"{source}: invalid JSON ({e.Message.Split('\n')[0]})", e); }
        var reader = new ConfigReader(root, source);

        var modelType = reader.String("model_type") ?? throw reader.Error("model_type", "missing", $"one of {KnownTypes}");
        if (!ArchitectureByType.TryGetValue(modelType, out var architecture))
            throw reader.Error("model_type", $"\"{modelType}\"", $"one of {KnownTypes}");
        var architectures = reader.StringList("architectures");
        if (architectures is { Count: > 0 } && architectures[0] != architecture)
            throw reader.Error("architectures", $"\"{architectures[0]}\"", $"\"{architecture}\" for model_type {modelType}");

        var gemma = modelType is "gemma2" or "gemma3_text";
        // Gemma reads hidden_activation (its configs carry hidden_act too); every other family hidden_act.
        var (actField, expectedAct) = gemma ? ("hidden_activation", "gelu_pytorch_tanh") : ("hidden_act", "silu");
        var act = reader.String(actField) ?? (gemma ? reader.String("hidden_act") : null) ?? expectedAct;
        if (act != expectedAct) throw reader.Error(actField, $"\"{act}\"", $"\"{expectedAct}\"");

        var hidden = reader.RequiredInt("hidden_size");
        var heads = reader.RequiredInt("num_attention_heads");
        var maxPositions = reader.Int("max_position_embeddings") ?? 2048;
        var dtype = reader.String("torch_dtype") ?? reader.String("dtype");
        if (dtype != null) DtypeNames.Parse(dtype, $"{source}: torch_dtype");

        return new ModelConfig
        {
            Architecture = architecture,
            ModelType = modelType,
            HiddenSize = hidden,
            IntermediateSize = reader.RequiredInt("intermediate_size"),
            NumHiddenLayers = reader.RequiredInt("num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = reader.Int("num_key_value_heads") ?? heads,
            HeadDim = reader.Int("head_dim") ?? hidden / heads,
            VocabSize = reader.RequiredInt("vocab_size"),
            RmsNormEps = reader.Double("rms_norm_eps") ?? 1e-6,
            RopeTheta = reader.Double("rope_theta") ?? 10000.0,
            RopeScaling = ParseRopeScaling(reader),
            LinearRopeFactor = LinearFactor(reader),
            LongRope = ParseLongRope(reader),
            MaxPositionEmbeddings = maxPositions,
            TieWordEmbeddings = reader.Bool("tie_word_embeddings") ?? gemma, // transformers' defaults
            AttentionBias = reader.Bool("attention_bias") ?? false,
            MlpBias = reader.Bool("mlp_bias") ?? false,
            BosTokenId = reader.Int("bos_token_id"),
            EosTokenIds = reader.IntOrIntList("eos_token_id"),
            PadTokenId = reader.Int("pad_token_id"),
            TorchDtype = dtype,
            InitializerRange = reader.Double("initializer_range") ?? 0.02,
            // transformers' default when the field is absent (Qwen's applies only with use_sliding_window).
            SlidingWindow = reader.Has("sliding_window") ? reader.Int("sliding_window")
                : modelType is "mistral" or "qwen2" or "qwen3" || gemma ? 4096 : null,
            QueryPreAttnScalar = gemma ? reader.Double("query_pre_attn_scalar") ?? 256 : null,
            // transformers' defaults when the field is absent: Gemma 2 caps at 50 and 30, Gemma 3 not at all.
            AttnLogitSoftcapping = reader.Has("attn_logit_softcapping") ? reader.Double("attn_logit_softcapping") : modelType == "gemma2" ? 50.0 : null,
            FinalLogitSoftcapping = reader.Has("final_logit_softcapping") ? reader.Double("final_logit_softcapping") : modelType == "gemma2" ? 30.0 : null,
            RopeLocalBaseFreq = modelType == "gemma3_text" ? reader.Double("rope_local_base_freq") ?? 10000.0 : null,
            SlidingWindowPattern = modelType == "gemma3_text" ? reader.Int("sliding_window_pattern") ?? 6 : null,
            UseSlidingWindow = modelType is "qwen2" or "qwen3" ? reader.Bool("use_sliding_window") ?? false : null,
            MaxWindowLayers = reader.Int("max_window_layers"),
            LayerTypes = reader.StringList("layer_types"),
            PartialRotaryFactor = reader.Double("partial_rotary_factor") ?? 1.0,
            OriginalMaxPositionEmbeddings = reader.Int("original_max_position_embeddings"),
        }.Validated(reader);
    }

    private ModelConfig Validated(ConfigReader reader)
    {
        if (NumKeyValueHeads <= 0 || NumAttentionHeads % NumKeyValueHeads != 0)
            throw reader.Error("num_key_value_heads", NumKeyValueHeads.ToString(), $"a divisor of num_attention_heads ({NumAttentionHeads})");
        if (HeadDim <= 0 || HeadDim % 2 != 0) throw reader.Error("head_dim", HeadDim.ToString(), "a positive even number (RoPE rotates pairs)");
        if (!(PartialRotaryFactor > 0 && PartialRotaryFactor <= 1) || RotaryDim % 2 != 0)
            throw reader.Error("partial_rotary_factor", PartialRotaryFactor.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"a share in (0, 1] of head_dim ({HeadDim}) that leaves an even number of rotated channels");
        if (LongRope is { } longRope && (longRope.ShortFactor.Length != RotaryDim / 2 || longRope.LongFactor.Length != RotaryDim / 2))
            throw reader.Error("rope_scaling.short_factor", $"a list of {longRope.ShortFactor.Length} (long_factor {longRope.LongFactor.Length})",
                $"one factor per rotated channel pair ({RotaryDim / 2})");
        if (SlidingWindow is < 1) throw reader.Error("sliding_window", SlidingWindow.ToString()!, "null or a positive number of positions");
        if (LayerTypes is { } types)
        {
            if (types.Count != NumHiddenLayers) throw reader.Error("layer_types", $"a list of {types.Count}", $"one entry per layer ({NumHiddenLayers})");
            var odd = types.FirstOrDefault(t => t is not ("sliding_attention" or "full_attention"));
            if (odd != null) throw reader.Error("layer_types", $"containing \"{odd}\"", "only \"sliding_attention\" and \"full_attention\"");
        }
        return this;
    }

    private static Llama3RopeScaling? ParseRopeScaling(ConfigReader reader)
    {
        var scaling = reader.Object("rope_scaling");
        if (scaling == null) return null;
        var inner = new ConfigReader(scaling, reader.Source, "rope_scaling.");
        var type = inner.String("rope_type") ?? inner.String("type");
        if (type is "default" or "linear" or "longrope" or "su") return null;
        if (type != "llama3") throw inner.Error("rope_type", type == null ? "missing" : $"\"{type}\"", "\"llama3\", \"linear\", \"longrope\" or \"default\" (other RoPE scalings are not supported)");
        return new Llama3RopeScaling(inner.RequiredDouble("factor"), inner.RequiredDouble("low_freq_factor"),
            inner.RequiredDouble("high_freq_factor"), inner.RequiredInt("original_max_position_embeddings"));
    }

    private static LongRopeScaling? ParseLongRope(ConfigReader reader)
    {
        var scaling = reader.Object("rope_scaling");
        if (scaling == null) return null;
        var inner = new ConfigReader(scaling, reader.Source, "rope_scaling.");
        if ((inner.String("rope_type") ?? inner.String("type")) is not ("longrope" or "su")) return null;
        return new LongRopeScaling(inner.RequiredDoubleList("short_factor"), inner.RequiredDoubleList("long_factor"),
            inner.Double("factor"), inner.Double("attention_factor"), inner.Int("original_max_position_embeddings"));
    }

    private static double? LinearFactor(ConfigReader reader)
    {
        var scaling = reader.Object("rope_scaling");
        if (scaling == null) return null;
        var inner = new ConfigReader(scaling, reader.Source, "rope_scaling.");
        return (inner.String("rope_type") ?? inner.String("type")) == "linear" ? inner.RequiredDouble("factor") : null;
    }

    private static JsonObject LongRopeJson(LongRopeScaling s)
    {
        var json = new JsonObject
        {
            ["rope_type"] = "longrope",
            ["short_factor"] = new JsonArray([.. s.ShortFactor.Select(f => (JsonNode)f)]),
            ["long_factor"] = new JsonArray([.. s.LongFactor.Select(f => (JsonNode)f)]),
        };
        if (s.Factor is { } factor) json["factor"] = factor;
        if (s.AttentionFactor is { } attention) json["attention_factor"] = attention;
        if (s.OriginalMaxPositionEmbeddings is { } original) json["original_max_position_embeddings"] = original;
        return json;
    }

    /// <summary>The dtype to store weights in when the caller does not choose one.</summary>
    public torch.ScalarType StorageDtype => TorchDtype == null ? torch.ScalarType.Float32 : DtypeNames.Parse(TorchDtype, "torch_dtype");

    /// <summary>A Hugging Face config.json for this architecture, stating <paramref name="dtype"/> as torch_dtype.</summary>
    public string ToJson(torch.ScalarType? dtype = null)
    {
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray(Architecture),
            ["model_type"] = ModelType,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_dim"] = HeadDim,
            ["vocab_size"] = VocabSize,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["rope_scaling"] = LinearRopeFactor is { } linear ? new JsonObject { ["rope_type"] = "linear", ["factor"] = linear }
            : LongRope is { } longRope ? LongRopeJson(longRope)
            : RopeScaling == null ? null : new JsonObject
            {
                ["rope_type"] = "llama3",
                ["factor"] = RopeScaling.Factor,
                ["low_freq_factor"] = RopeScaling.LowFreqFactor,
                ["high_freq_factor"] = RopeScaling.HighFreqFactor,
                ["original_max_position_embeddings"] = RopeScaling.OriginalMaxPositionEmbeddings,
            },
            [Gelu ? "hidden_activation" : "hidden_act"] = Gelu ? "gelu_pytorch_tanh" : "silu",
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["initializer_range"] = InitializerRange,
            ["bos_token_id"] = BosTokenId,
            ["eos_token_id"] = EosTokenIds.Count == 0 ? null : EosTokenIds.Count == 1 ? JsonValue.Create(EosTokenIds[0]) : new JsonArray(EosTokenIds.Select(id => (JsonNode)id).ToArray()),
            ["pad_token_id"] = PadTokenId,
            ["torch_dtype"] = dtype is { } d ? DtypeNames.Name(d) : TorchDtype,
            ["use_cache"] = true,
        };
        if (ModelType is "llama" or "qwen3") root["attention_bias"] = AttentionBias;
        if (ModelType == "llama") root["mlp_bias"] = MlpBias;
        if (ModelType != "llama") root["sliding_window"] = SlidingWindow;
        if (UseSlidingWindow is { } use) root["use_sliding_window"] = use;
        if (MaxWindowLayers is { } from) root["max_window_layers"] = from;
        if (ModelType == "phi3") root["partial_rotary_factor"] = PartialRotaryFactor;
        if (QueryPreAttnScalar is { } scalar) root["query_pre_attn_scalar"] = scalar;
        if (Gelu) { root["attn_logit_softcapping"] = AttnLogitSoftcapping; root["final_logit_softcapping"] = FinalLogitSoftcapping; }
        if (RopeLocalBaseFreq is { } local) root["rope_local_base_freq"] = local;
        if (SlidingWindowPattern is { } pattern) root["sliding_window_pattern"] = pattern;
        if (OriginalMaxPositionEmbeddings is { } original) root["original_max_position_embeddings"] = original;
        if (LayerTypes is { } types) root["layer_types"] = new JsonArray(types.Select(t => (JsonNode)t!).ToArray());
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
