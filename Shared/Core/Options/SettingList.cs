namespace SgBridge.Shared.Options;

/// <summary>Splits list settings written as one app setting: "a, b; c" or one per line.</summary>
public static class SettingList
{
    private static readonly char[] Separators = [',', ';', ' ', '\n', '\r', '\t'];

    public static IReadOnlyList<string> Parse(string? value) =>
        string.IsNullOrWhiteSpace(value)
            ? []
            : value.Split(Separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
