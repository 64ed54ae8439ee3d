using System.Text;

namespace SgBridge.Cli.Commands;

/// <summary>
/// RFC 4180 CSV: records end with CRLF; a field holding a comma, a double quote, CR or LF is enclosed in double
/// quotes, with each double quote doubled. A field that a spreadsheet would run as a formula (starting with =, +, -,
/// @, tab or CR) gets a leading apostrophe: requesters choose rule descriptions and session names, and an audit file
/// must not execute what they wrote (OWASP "CSV injection").
/// </summary>
internal static class CsvWriter
{
    public static string Record(IEnumerable<string?> fields) => string.Join(',', fields.Select(Field)) + "\r\n";

    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            return value;
        }
        var sb = new StringBuilder(value.Length + 8).Append('"');
        foreach (var c in value)
        {
            sb.Append(c == '"' ? "\"\"" : c);
        }
        return sb.Append('"').ToString();
    }
}
