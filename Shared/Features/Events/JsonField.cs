using System.Globalization;
using System.Text.Json;

namespace SgBridge.Shared.Events;

/// <summary>Thrown inside the parser to unwind to <see cref="CloudTrailParser"/>, which turns it into a <see cref="ParseResult.Rejection"/>. Never escapes.</summary>
internal sealed class RejectedException(ParseResult.Rejection rejection) : Exception(rejection.Message)
{
    public ParseResult.Rejection Rejection { get; } = rejection;

    public static RejectedException Missing(string path, string? hint = null) =>
        new(new ParseResult.Rejection(RejectionKind.MissingField, $"Field '{path}' is missing{(hint is null ? "." : $"; {hint}.")}") { Field = path });

    public static RejectedException Invalid(string path, string reason) =>
        new(new ParseResult.Rejection(RejectionKind.InvalidField, $"Field '{path}' is invalid: {reason}.") { Field = path });
}

/// <summary>A JSON value and its path, with lenient readers for CloudTrail's quirks: keys matched exactly then ignoring case, null
/// as absent, numbers written as strings, collections as <c>{"items":[…]}</c>, <c>{}</c> (empty) or a bare array.</summary>
internal readonly record struct JsonField(JsonElement Element, string Path)
{
    public bool IsObject => Element.ValueKind == JsonValueKind.Object;

    public JsonField? Get(string name)
    {
        if (!IsObject) return null;
        if (Element.TryGetProperty(name, out var exact))
        {
            return exact.ValueKind == JsonValueKind.Null ? null : new JsonField(exact, Child(name));
        }
        foreach (var property in Element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value.ValueKind == JsonValueKind.Null ? null : new JsonField(property.Value, Child(property.Name));
            }
        }
        return null;
    }

    public bool Has(string name) => Get(name) is not null;

    public string Child(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    public JsonField? GetObject(string name)
    {
        if (Get(name) is not { } field) return null;
        return field.IsObject ? field : throw RejectedException.Invalid(field.Path, $"expected an object, got {Kind(field.Element)}");
    }

    public JsonField RequireObject(string name, string? hint = null) =>
        GetObject(name) ?? throw RejectedException.Missing(Child(name), hint);

    /// <summary>A string child (a number is accepted as its text); null when absent, null or blank.</summary>
    public string? Str(string name)
    {
        if (Get(name) is not { } field) return null;
        var text = field.Element.ValueKind switch
        {
            JsonValueKind.String => field.Element.GetString(),
            JsonValueKind.Number => field.Element.GetRawText(),
            _ => throw RejectedException.Invalid(field.Path, $"expected a string, got {Kind(field.Element)}"),
        };
        return string.IsNullOrWhiteSpace(text) ? null : text.Trim();
    }

    public string RequireStr(string name, string? hint = null) =>
        Str(name) ?? throw RejectedException.Missing(Child(name), hint);

    /// <summary>An integer child, written as a number or a string; null when absent.</summary>
    public int? Int(string name)
    {
        if (Get(name) is not { } field) return null;
        var e = field.Element;
        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var n)) return n;
        if (e.ValueKind == JsonValueKind.String)
        {
            var s = e.GetString();
            if (string.IsNullOrWhiteSpace(s)) return null;
            if (int.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n)) return n;
        }
        throw RejectedException.Invalid(field.Path, $"expected an integer, got {Kind(e)} {Excerpt(e)}");
    }

    /// <summary>A boolean child, written as true/false or "true"/"false"; null when absent.</summary>
    public bool? Bool(string name)
    {
        if (Get(name) is not { } field) return null;
        var e = field.Element;
        switch (e.ValueKind)
        {
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.String when bool.TryParse(e.GetString()?.Trim(), out var b): return b;
            default: throw RejectedException.Invalid(field.Path, $"expected a boolean, got {Kind(e)} {Excerpt(e)}");
        }
    }

    /// <summary>The elements of a CloudTrail collection: <c>{"items":[…]}</c>, <c>{}</c> (empty) or a bare array. Empty when absent.</summary>
    public IReadOnlyList<JsonField> Items(string name)
    {
        if (Get(name) is not { } field) return [];
        if (field.Element.ValueKind == JsonValueKind.Array) return field.Elements();
        if (!field.IsObject) throw RejectedException.Invalid(field.Path, $"expected a collection, got {Kind(field.Element)}");
        foreach (var property in field.Element.EnumerateObject())
        {
            // Only {} or {"items":[…]}: an object with other keys would hide its elements (a source silently dropped).
            if (!string.Equals(property.Name, "items", StringComparison.OrdinalIgnoreCase))
            {
                throw RejectedException.Invalid(field.Child(property.Name), "a collection holds only 'items'");
            }
        }
        if (field.Get("items") is not { } items) return [];
        if (items.Element.ValueKind != JsonValueKind.Array) throw RejectedException.Invalid(items.Path, $"expected an array, got {Kind(items.Element)}");
        return items.Elements();
    }

    public IReadOnlyList<JsonField> Elements()
    {
        var path = Path;
        return Element.EnumerateArray().Select((e, i) => new JsonField(e, $"{path}[{i}]")).ToArray();
    }

    public static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Excerpt(JsonElement e)
    {
        var raw = e.GetRawText();
        return raw.Length <= 40 ? raw : raw[..40] + "…";
    }
}
