global using Xunit;
global using Simper.Tests.Support;
