using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace SgBridge.Tests.Architecture;

/// <summary>One C# file of a project: its top-level folder in the project ("." for the project's root) and its text.</summary>
public sealed record SourceFile(string Folder, string Path, string Text);

/// <summary>An edge of a dependency graph and why it exists (the type names that make it).</summary>
public sealed record Dependency(string From, string To, IReadOnlyList<string> Because);

/// <summary>
/// The checks behind <see cref="LayerTests"/>, on plain inputs so that a synthetic bad case shows each of them fails.
/// <para>
/// How folder dependencies are derived (a source-level approximation, not the compiler's binding): comments and string
/// literals are removed; every top-level type declaration (class, record, struct, interface, enum, delegate at namespace
/// level) names a type of its folder; a file depends on another folder when it uses, as a bare identifier (not after a
/// dot, not in a using or namespace line), a type name declared there and not in its own folder. A name declared in two
/// folders counts for both. Nested types, and names only reached through member access (Outer.Inner), are not counted:
/// the check can miss an edge that goes only through a nested type, never invent one from a comment or a string.
/// </para>
/// </summary>
public static partial class LayerChecker
{
    /// <summary>The project references of every .csproj under <paramref name="root"/> (by file name without extension; obj, bin and node_modules skipped).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> ReadProjectReferences(string root)
    {
        var projects = Directory.EnumerateFiles(root, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Split(Path.DirectorySeparatorChar).Any(s => s is "obj" or "bin" or "node_modules"))
            .ToList();
        var keys = projects.ToDictionary(p => Path.GetFullPath(p), p => Path.GetRelativePath(root, p).Replace('\\', '/'));
        return projects.ToDictionary(
            p => keys[Path.GetFullPath(p)],
            p => (IReadOnlyList<string>)[.. XDocument.Load(p).Descendants("ProjectReference")
                .Select(r => (string?)r.Attribute("Include"))
                .OfType<string>()
                .Select(include => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(p)!, include.Replace('\\', Path.DirectorySeparatorChar))))
                .Select(full => keys.TryGetValue(full, out var key) ? key : full)]);
    }

    /// <summary>The cycles of a graph: its strongly connected components of more than one node, and nodes that reach themselves.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Cycles(IReadOnlyDictionary<string, IReadOnlyList<string>> graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var nodes = graph.Keys.Concat(graph.Values.SelectMany(v => v)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var cycles = new List<IReadOnlyList<string>>();
        var next = 0;

        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in graph.TryGetValue(v, out var targets) ? targets : [])
            {
                if (!index.ContainsKey(w))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                {
                    low[v] = Math.Min(low[v], index[w]);
                }
            }
            if (low[v] != index[v])
            {
                return;
            }
            var component = new List<string>();
            string popped;
            do
            {
                popped = stack.Pop();
                onStack.Remove(popped);
                component.Add(popped);
            }
            while (popped != v);
            if (component.Count > 1 || (graph.TryGetValue(v, out var self) && self.Contains(v)))
            {
                cycles.Add([.. component.Order(StringComparer.Ordinal)]);
            }
        }

        foreach (var node in nodes.Where(n => !index.ContainsKey(n)))
        {
            Visit(node);
        }
        return cycles;
    }

    /// <summary>The folder-to-folder dependencies of one project's files (see the class summary for the method).</summary>
    public static IReadOnlyList<Dependency> FolderDependencies(IReadOnlyList<SourceFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var code = files.ToDictionary(f => f, f => StripCommentsAndStrings(f.Text));
        var declaredIn = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (file, text) in code)
        {
            foreach (var name in TopLevelTypes(text))
            {
                (declaredIn.TryGetValue(name, out var folders) ? folders : declaredIn[name] = new(StringComparer.Ordinal)).Add(file.Folder);
            }
        }
        var edges = new SortedDictionary<(string From, string To), SortedSet<string>>();
        foreach (var (file, text) in code)
        {
            var body = UsingOrNamespaceLine().Replace(text, " ");
            foreach (Match m in BareTypeName().Matches(body))
            {
                if (!declaredIn.TryGetValue(m.Value, out var folders) || folders.Contains(file.Folder))
                {
                    continue;
                }
                foreach (var to in folders)
                {
                    (edges.TryGetValue((file.Folder, to), out var why) ? why : edges[(file.Folder, to)] = new(StringComparer.Ordinal))
                        .Add($"{m.Value} ({Path.GetFileName(file.Path)})");
                }
            }
        }
        return [.. edges.Select(e => new Dependency(e.Key.From, e.Key.To, [.. e.Value]))];
    }

    /// <summary>As a graph for <see cref="Cycles"/>.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Graph(IEnumerable<Dependency> dependencies) =>
        dependencies.GroupBy(d => d.From, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(d => d.To).Distinct(StringComparer.Ordinal)], StringComparer.Ordinal);

    /// <summary>The Azure or AWS SDK namespaces the code (not its comments or strings) names: <c>using Azure.Data.Tables;</c>, <c>using Azure;</c>, <c>Amazon.Runtime.X</c>.</summary>
    public static IReadOnlyList<string> SdkMentions(string text) =>
        [.. SdkNamespace().Matches(StripCommentsAndStrings(text)).Select(m => m.Value.Trim()).Distinct(StringComparer.Ordinal)];

    /// <summary>The text with comments, string and character literals blanked out (line breaks kept).</summary>
    public static string StripCommentsAndStrings(string text) =>
        CommentOrLiteral().Replace(text, m => new string(m.Value.Where(c => c == '\n').ToArray()) + " ");

    /// <summary>Type names declared at namespace level in <paramref name="code"/> (already stripped).</summary>
    public static IEnumerable<string> TopLevelTypes(string code)
    {
        var fileScoped = FileScopedNamespace().IsMatch(code);
        foreach (Match m in TypeDeclaration().Matches(code))
        {
            var depth = 0;
            for (var i = 0; i < m.Index; i++)
            {
                depth += code[i] switch { '{' => 1, '}' => -1, _ => 0 };
            }
            if (depth == (fileScoped ? 0 : 1))
            {
                yield return m.Groups["name"].Value;
            }
        }
    }

    [GeneratedRegex("""//[^\n]*|/\*.*?\*/|\$?@"(?:[^"]|"")*"|\$?"{3,}[\s\S]*?"{3,}|\$?"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])'""", RegexOptions.Singleline)]
    private static partial Regex CommentOrLiteral();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum|delegate\s+[\w<>\[\]?,. ]+?)\s+(?<name>[A-Z]\w*)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"^\s*namespace\s+[\w.]+\s*;", RegexOptions.Multiline)]
    private static partial Regex FileScopedNamespace();

    [GeneratedRegex(@"^\s*(?:global\s+)?(?:using|namespace)\b[^;{]*[;{]", RegexOptions.Multiline)]
    private static partial Regex UsingOrNamespaceLine();

    [GeneratedRegex(@"(?<![.\w])[A-Z]\w*\b")]
    private static partial Regex BareTypeName();

    [GeneratedRegex(@"\busing\s+(?:static\s+)?(?:\w+\s*=\s*)?(?:global::)?(?:Azure|Amazon)\s*[.;]|(?<![\w.])(?:global::)?(?:Azure|Amazon)\.[A-Z]\w*")]
    private static partial Regex SdkNamespace();
}
