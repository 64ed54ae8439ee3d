namespace SgBridge.Shared.Policy;

/// <summary>
/// What the policy knows of a group's tags: not read yet, read, or unknown with the reason. A <c>groupTags</c>
/// condition decides only on read tags (see <see cref="PolicyEngine"/>).
/// </summary>
public sealed record GroupTags
{
    private GroupTags(IReadOnlyDictionary<string, string>? values, string? unknownReason) => (Values, UnknownReason) = (values, unknownReason);

    /// <summary>Nothing has needed them yet; an evaluation that reaches a tag condition says so (<see cref="PolicyEvaluation.NeedsTags"/>).</summary>
    public static GroupTags NotRead { get; } = new(null, null);

    /// <summary>The tags as EC2 described them (keys and values are case-sensitive, as in AWS).</summary>
    public static GroupTags Known(IReadOnlyDictionary<string, string> values) => new(values ?? throw new ArgumentNullException(nameof(values)), null);

    /// <summary>The tags could not be learnt; <paramref name="reason"/> is shown on the request and in Slack.</summary>
    public static GroupTags Unknown(string reason) => new(null, string.IsNullOrWhiteSpace(reason) ? "tags unknown" : reason);

    public IReadOnlyDictionary<string, string>? Values { get; }

    public string? UnknownReason { get; }

    public bool IsKnown => Values is not null;

    public bool IsNotRead => Values is null && UnknownReason is null;
}

/// <summary>
/// The group has tag <see cref="Key"/> (case-sensitive) with a value matching one of <see cref="Values"/> (exact, or a
/// glob with <c>*</c> and <c>?</c>; <c>"*"</c> alone: the key is present, any value).
/// </summary>
public sealed record TagCondition(string Key, IReadOnlyList<string> Values)
{
    public bool Holds(IReadOnlyDictionary<string, string> tags) =>
        tags.TryGetValue(Key, out var value) && Values.Any(p => Glob.Matches(p, value, ignoreCase: false));

    public override string ToString() => Values.Count == 1 ? $"{Key}={Values[0]}" : $"{Key}=[{string.Join(", ", Values)}]";
}

/// <summary>The one glob matcher of the policy (ARNs, names, tags): '*' any run of characters (also none), '?' one character.</summary>
public static class Glob
{
    public static bool Matches(string pattern, string value, bool ignoreCase)
    {
        int pi = 0, si = 0, star = -1, mark = 0;
        while (si < value.Length)
        {
            if (pi < pattern.Length && (pattern[pi] == '?' || Same(pattern[pi], value[si], ignoreCase)))
            {
                pi++;
                si++;
            }
            else if (pi < pattern.Length && pattern[pi] == '*')
            {
                star = pi++;
                mark = si;
            }
            else if (star >= 0)
            {
                pi = star + 1;
                si = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (pi < pattern.Length && pattern[pi] == '*')
        {
            pi++;
        }
        return pi == pattern.Length;
    }

    private static bool Same(char a, char b, bool ignoreCase) => a == b || (ignoreCase && char.ToLowerInvariant(a) == char.ToLowerInvariant(b));
}
