using SgBridge.Emulators;

namespace SgBridge.Tests.Integration;

/// <summary>
/// Runs moto_server (see <see cref="Moto"/>) for the lifetime of a test collection.
/// When moto is not installed, tests marked <see cref="MotoFactAttribute"/> are skipped.
/// </summary>
public sealed class MotoFixture : IAsyncLifetime
{
    public const string NotFoundMessage = Moto.NotFoundMessage;

    private Moto? _moto;

    public static bool IsAvailable => Moto.IsAvailable;

    /// <summary>The emulator's base URL, e.g. http://127.0.0.1:41234 (empty when moto is not installed).</summary>
    public string Url => _moto?.Url ?? "";

    public async Task InitializeAsync()
    {
        if (IsAvailable)
        {
            _moto = await Moto.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_moto is not null)
        {
            await _moto.DisposeAsync();
        }
    }
}

/// <summary>A fact that is skipped with an install hint when moto is not installed.</summary>
public sealed class MotoFactAttribute : FactAttribute
{
    public MotoFactAttribute()
    {
        if (!MotoFixture.IsAvailable)
        {
            Skip = MotoFixture.NotFoundMessage;
        }
    }
}

/// <summary>A theory that is skipped with an install hint when moto is not installed.</summary>
public sealed class MotoTheoryAttribute : TheoryAttribute
{
    public MotoTheoryAttribute()
    {
        if (!MotoFixture.IsAvailable)
        {
            Skip = MotoFixture.NotFoundMessage;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class MotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "Moto";
}
