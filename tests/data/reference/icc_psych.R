library(psych); library(jsonlite)
sf <- data.frame(j1=c(9,6,8,7,10,6), j2=c(2,1,4,1,5,2), j3=c(5,3,6,2,6,4), j4=c(8,2,8,6,9,7))
hs <- read.csv("/work/shared/data/HolzingerSwineford1939.csv")
bfi <- read.csv("/work/shared/data/bfi.csv")
one <- function(x, alpha=0.05) {
  r <- ICC(x, lmer=FALSE, alpha=alpha)$results
  list(n=nrow(na.omit(x)), k=ncol(x), alpha=alpha,
       table=lapply(split(r, seq_len(nrow(r))), function(row) list(type=row$type, icc=row$ICC, f=row$F, df1=row$df1, df2=row$df2, p=row$p, lower=row$`lower bound`, upper=row$`upper bound`)))
}
out <- list(
  meta=list(script="psych::ICC(x, lmer = FALSE, alpha = alpha)$results", R=R.version.string,
            psych=as.character(packageVersion("psych")), date=as.character(Sys.Date()),
            data=c("Shrout & Fleiss (1979) Table 2 ratings (6 targets x 4 judges)",
                   "HolzingerSwineford1939.csv x4, x5, x6 (301 rows)",
                   "bfi.csv A2, A3, A4 complete cases (na.omit)")),
  notes="lmer = FALSE: the two-way ANOVA mean squares (psych's default lmer = TRUE gives the same mean squares for complete balanced data). p is 1 - pf(F). Bounds are psych's (McGraw & Wong 1996 / Shrout & Fleiss 1979). Rows in psych's order ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k.",
  shrout_fleiss=one(sf), shrout_fleiss_90=one(sf, 0.10),
  hs_x456=one(hs[,c("x4","x5","x6")]),
  bfi_a234=one(na.omit(bfi[,c("A2","A3","A4")])))
write(toJSON(out, auto_unbox=TRUE, digits=15, pretty=TRUE), "icc_psych.json")
