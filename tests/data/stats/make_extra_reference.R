# Extra reference outputs for zhinao's stats tests, beyond ../shared/reference/.
# Re-run (from this folder, needs Debian r-base-core r-cran-epiestim r-cran-surveillance):
#   Rscript make_extra_reference.R
# Made with EpiEstim 2.2.4 and surveillance 1.20.3 on R 4.2.2 (Debian 12).
Sys.setenv(TZ = "UTC")
options(digits = 15)
suppressPackageStartupMessages({ library(EpiEstim); library(surveillance) })
full <- function(R) data.frame(t_start = R$t_start, t_end = R$t_end, mean = R[["Mean(R)"]], std = R[["Std(R)"]],
  q0025 = R[["Quantile.0.025(R)"]], q005 = R[["Quantile.0.05(R)"]], q025 = R[["Quantile.0.25(R)"]],
  median = R[["Median(R)"]], q075 = R[["Quantile.0.75(R)"]], q095 = R[["Quantile.0.95(R)"]],
  q0975 = R[["Quantile.0.975(R)"]])
wr <- function(d, f) write.csv(d, f, row.names = FALSE, quote = FALSE)  # 15 significant digits
data(Flu2009)
# 1. parametric SI (mean 2.6, sd 1.5), default weekly windows: all eleven columns
r <- suppressMessages(estimate_R(Flu2009$incidence, method = "parametric_si",
                                 config = make_config(list(mean_si = 2.6, std_si = 1.5))))
wr(full(r$R), "epiestim_flu2009_parametric_full.csv")
# 2. given discrete SI (Flu2009$si_distr), biweekly windows t_start = 2..T-13
wr(data.frame(si = seq_along(Flu2009$si_distr) - 1, p = Flu2009$si_distr), "flu2009_si_distr.csv")
ts <- seq(2, nrow(Flu2009$incidence) - 13)
r <- suppressMessages(estimate_R(Flu2009$incidence, method = "non_parametric_si",
                                 config = make_config(list(si_distr = Flu2009$si_distr, t_start = ts, t_end = ts + 13))))
wr(full(r$R), "epiestim_flu2009_nonparametric_w14.csv")
# 3. Measles 1861 (Hagelloch): long SI (mean ~ 11 days), so the first windows have no estimate (NA)
data(Measles1861)
wr(data.frame(t = seq_along(Measles1861$incidence), I = as.vector(Measles1861$incidence)), "measles1861_incidence.csv")
wr(data.frame(si = seq_along(Measles1861$si_distr) - 1, p = Measles1861$si_distr), "measles1861_si_distr.csv")
r <- suppressMessages(estimate_R(Measles1861$incidence, method = "non_parametric_si",
                                 config = make_config(list(si_distr = Measles1861$si_distr))))
wr(full(r$R), "epiestim_measles1861_nonparametric.csv")
# 4. algo.cusum on salmonella.agona, last 100 weeks, defaults (k 1.04, h 2.26, m = mean before range,
#    trans "standard") and trans "rossi"
data(salmonella.agona)
rng <- 213:312
rows <- list()
for (tr in c("standard", "rossi", "anscombe")) {
  res <- algo.cusum(salmonella.agona, control = list(range = rng, trans = tr))
  rows[[tr]] <- data.frame(method = paste0("cusum_", tr), t = rng, observed = salmonella.agona$observed[rng],
                           alarm = as.integer(res$alarm), upperbound = as.vector(res$upperbound),
                           cusum = as.vector(res$cusum))
}
wr(do.call(rbind, rows), "surveillance_cusum_salmonella_agona.csv")
cat("done\n")
