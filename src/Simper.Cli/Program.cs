using System.CommandLine;

var root = new RootCommand("Simper: align language models with human preferences (SimPER, DPO, IPO, KTO, CPO, SLiC, SimPO, ORPO).");
return root.Parse(args).Invoke();
